"""The Spark transform's SQL, filled in from the event contract and the warehouse schema.

`sql/transform.sql` holds the rules (the same as the DuckDB engine's, written for Spark);
this module fills in what is generated: the contract's struct type (`events/columns.py`),
the contract fields that pass through as warehouse columns unchanged, the payload hash
(`etl/payload.py`), the acquisition columns `lookups.py` adds, the type of a canonical item
line, and the text each `clickstream_events` and `event_items` column is staged as
(`warehouse/schema/`). User agents, landings and items are not written here at all: the
DuckDB engine's SQL runs on their distinct values (`lookups.py`). A field added to the lake
record that is a column of the same name passes through without an edit here; a column with
no source fails the run by name.
"""

from __future__ import annotations

from functools import cache

from clickstream.etl.payload import payload_hash_sql
from clickstream.etl.spark import lookups
from clickstream.events.columns import input_contract
from clickstream.sqlfiles import named
from clickstream.warehouse import schema

SQL_PACKAGE = "clickstream.etl.spark.sql"
# Every scalar as text, typed and checked in SQL (as the DuckDB engine reads it).
CONTRACT = input_contract(text="STRING", json="STRING")
# Columns `typed` in sql/transform.sql writes itself (all others pass through by name).
TYPED_COLUMNS = frozenset(
    {
        "event_name",
        "event_id",
        "event_timestamp",
        "received_at",
        "client_timestamp",
        "user_id",
        "user_login_state",
        "client_id",
        "session_id",
        "is_first_visit",
        "context_product_id",
        "context_product_name",
        "context_product_category",
        "context_product_brand",
        "context_product_price",
        "context_product_discount_price",
        "context_product_url_path",
        "context_product_quantity",
        "page_url",
        "order_id",
        "order_number",
        "order_total",
        "order_currency",
        "order_item_count",
        "ingest_node",
    }
)
# Columns the `loaded` statement adds (user agent, landing and lineage).
LANDING_COLUMNS = tuple(c for c in lookups.LANDING_COLUMNS if c != "is_plain")
ADDED_COLUMNS = frozenset(
    {"device_type", "browser", "os", "is_bot", "source_file", "etl_run_id", *LANDING_COLUMNS}
)
# Most events are plain visits (no tags, no outside referrer): their source and medium are
# left NULL, as the DuckDB engine's `loaded` statement (sql/outputs.sql) leaves them.
PLAIN_NULLED = frozenset({"traffic_source", "traffic_medium"})
# The Spark types of `event_items` columns a canonical line (`canonical_items`) holds.
ITEM_TYPES = {"text": "STRING", "numeric(14,2)": "DECIMAL(14, 2)", "integer": "INT"}
ITEM_FIRST_FIELD = "line"  # the columns after it are the line's fields (`item_id` is its `id`)
# What a pass-through column is when its field is absent, where the DuckDB engine's `typed`
# view says so (events sent without a site belong to the default site, docs/tracking.md).
PASSTHROUGH_DEFAULTS = {"site_id": "'default'"}
# How a timestamp is staged as text PostgreSQL reads back exactly (the session is in UTC).
TIME_TEXT = 'date_format({}, "yyyy-MM-dd HH:mm:ss.SSSSSSXXX")'


class ColumnWithoutSource(RuntimeError):
    """A warehouse column is neither written by the Spark transform nor a contract field."""


def _quoted(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def contract_ddl() -> str:
    """The contract as a Spark DDL struct (and the column a malformed line's text goes to)."""

    def field(name: str, kind: str | dict[str, str]) -> str:
        if isinstance(kind, str):
            return f"{_quoted(name)} {kind}"
        inner = ", ".join(f"{_quoted(k)}: {v}" for k, v in kind.items())
        return f"{_quoted(name)} STRUCT<{inner}>"

    return ", ".join([*(field(k, v) for k, v in CONTRACT.items()), "`_corrupt` STRING"])


def passthrough_columns() -> list[str]:
    """Warehouse columns that are top-level contract fields of the same name, as they are."""
    return [
        column
        for column in schema.EVENT_COLUMNS
        if column not in TYPED_COLUMNS and isinstance(CONTRACT.get(column), str)
    ]


def staged_text(column: schema.Column) -> str:
    """The select-list text of `column` as it is staged (PostgreSQL casts it back)."""
    name = _quoted(column.name)
    if column.type == "timestamp with time zone":
        return f"{TIME_TEXT.format(name)} AS {name}"
    if column.type in ("text", "jsonb", "uuid"):
        return name
    return f"CAST({name} AS STRING) AS {name}"


def _landing(column: str) -> str:
    field = f"v.{_quoted(column)}"
    if column in PLAIN_NULLED:
        field = f"CASE WHEN NOT v.is_plain THEN {field} END"
    return f"{field} AS {_quoted(column)}"


def item_fields() -> dict[str, str]:
    """The fields of a canonical item line (JSON name -> `event_items` column), in order."""
    names = schema.ITEM_COLUMNS
    columns = names[names.index(ITEM_FIRST_FIELD) + 1 :]
    return {("id" if c == "item_id" else c): c for c in columns}


def item_type() -> str:
    """A canonical item list as a Spark DDL type, from the `event_items` column types."""
    types = {c.name: c.type for c in schema.EVENT_ITEMS.columns}
    fields = ", ".join(
        f"{_quoted(key)}: {ITEM_TYPES[types[column]]}" for key, column in item_fields().items()
    )
    return f"ARRAY<STRUCT<{fields}>>"


def _passthrough(column: str) -> str:
    field = f"r.{_quoted(column)}"
    if column in PASSTHROUGH_DEFAULTS:
        field = f"coalesce({field}, {PASSTHROUGH_DEFAULTS[column]})"
    return f"{field} AS {_quoted(column)}"


def _as_time(text: str) -> str:
    return (
        f"CASE WHEN year(try_cast({text} AS TIMESTAMP)) BETWEEN 1 AND 9999 "
        f"THEN try_cast({text} AS TIMESTAMP) END"
    )


def _as_whole(text: str) -> str:
    number = f"try_cast({text} AS DOUBLE)"
    return f"CASE WHEN {number} = round({number}) THEN try_cast({number} AS INT) END"


def _fill_calls(text: str, name: str, render: object) -> str:
    """Replace each `$NAME(argument)` in `text` with `render(argument)`."""
    assert callable(render)
    marker = f"${name}("
    while marker in text:
        start = text.index(marker)
        depth, end = 0, start + len(marker) - 1
        for end in range(start + len(marker) - 1, len(text)):
            depth += {"(": 1, ")": -1}.get(text[end], 0)
            if depth == 0:
                break
        argument = text[start + len(marker) : end]
        text = text[:start] + str(render(argument)) + text[end + 1 :]
    return text


@cache
def statements(run_id: int) -> dict[str, str]:
    """Every named statement of `sql/transform.sql` and `sql/sessions.sql`, filled in, for
    run `run_id`."""
    passthrough = passthrough_columns()
    missing = [
        c
        for c in schema.EVENT_COLUMNS
        if c not in TYPED_COLUMNS and c not in ADDED_COLUMNS and c not in passthrough
    ]
    if missing:
        raise ColumnWithoutSource(
            f"clickstream_events columns with no source in the Spark transform: {missing}"
        )
    fills = {
        "$CONTRACT": contract_ddl().replace("'", "\\'"),
        "$PASSTHROUGH": ", ".join(_passthrough(c) for c in passthrough),
        "$PAYLOAD_HASH": payload_hash_sql("spark"),
        "$EVENT_COLUMNS": ", ".join(staged_text(c) for c in schema.CLICKSTREAM_EVENTS.columns),
        "$LANDING_COLUMNS": ", ".join(_landing(c) for c in LANDING_COLUMNS),
        "$ITEM_COLUMNS": ", ".join(staged_text(c) for c in schema.EVENT_ITEMS.columns),
        "$ITEM_FIELDS": ", ".join(
            f"i.{_quoted(key)} AS {_quoted(column)}" for key, column in item_fields().items()
        ),
        "$ITEM_TYPE": item_type(),
        "$RUN_ID": str(int(run_id)),
    }
    filled = {}
    found = {**named(SQL_PACKAGE, "transform.sql"), **named(SQL_PACKAGE, "sessions.sql")}
    for name, text in found.items():
        text = _fill_calls(text, "AS_TIME", _as_time)
        text = _fill_calls(text, "AS_WHOLE", _as_whole)
        text = _fill_calls(text, "TIME_TEXT", TIME_TEXT.format)
        for marker, value in fills.items():
            text = text.replace(marker, value)
        filled[name] = text
    return filled
