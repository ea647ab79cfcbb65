"""Transform a batch of lake files in DuckDB: SQL over a typed input relation.

The SQL (`sql/transform.sql`, `sql/useragent.sql`, `sql/acquisition.sql`, `sql/outputs.sql`)
does the work: split lines, parse JSON against the event contract, validate, map legacy names,
flatten, flag bots, hash payloads, rank repeats of an event_id, and parse landings (UTM
parameters, click ids, referrer host, channel). User agents are parsed by a library
(`agents.py`), once per distinct agent. Python only moves whole
files in and query results out (as files or Arrow batches), never loops over rows, so the same
SQL could run elsewhere.

`read_batch` turns a batch's files into `records` (one row per received line); `outcomes.py`
then decides each line's outcome and prepares the batch for the loader.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import duckdb

from clickstream.etl import agents, channels
from clickstream.etl.channels import ChannelRules
from clickstream.etl.extract import FetchedFile
from clickstream.etl.payload import payload_hash_sql
from clickstream.events.columns import input_contract
from clickstream.sqlfiles import named, script
from clickstream.warehouse import schema

SQL_PACKAGE = "clickstream.etl.sql"

# Column order of `loaded_events`, which `load` copies into clickstream_events.
EVENT_COLUMNS = schema.EVENT_COLUMNS
# Column order of `loaded_items`, which `load` copies into event_items.
ITEM_COLUMNS = schema.ITEM_COLUMNS
# The event contract as DuckDB reads it: every scalar as text (typed and checked in SQL), so a
# line of the wrong type is rejected with a reason instead of failing the read. Generated from
# the lake record's definition (`events/columns.py`).
CONTRACT = input_contract(text="VARCHAR", json="JSON")


def contract_json() -> str:
    """The contract as a `json_transform` structure."""
    return json.dumps(CONTRACT)


def contract_columns() -> str:
    """The contract as a `read_ndjson(columns = ...)` struct literal."""

    def sql_type(value: str | dict[str, str]) -> str:
        if isinstance(value, str):
            return value
        return "STRUCT(" + ", ".join(f'"{k}" {v}' for k, v in value.items()) + ")"

    return "{" + ", ".join(f"'{k}': '{sql_type(v)}'" for k, v in CONTRACT.items()) + "}"


ID_COLUMNS = schema.ID_COLUMNS


def connect(
    threads: int, memory_limit: str, rules: ChannelRules | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB in UTC with the user-agent functions and channel rules loaded
    (`rules`, or the shipped defaults)."""
    con = duckdb.connect(":memory:", config={"threads": threads, "memory_limit": memory_limit})
    con.execute("SET TimeZone = 'UTC'")
    # Nothing depends on row order (lines are keyed by number or by row id); this lets DuckDB
    # stream.
    con.execute("SET preserve_insertion_order = false")
    agents.install(con)
    con.execute(script(SQL_PACKAGE, "useragent.sql"))
    channels.install(con, rules or channels.load_rules(None))
    return con


class DirectReadFailed(RuntimeError):
    """DuckDB could not read a batch's files directly; the line-by-line path must."""


def read_batch(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[FetchedFile],
    paths: Sequence[str] | None = None,
) -> None:
    """Turn a batch's files into `records` in `con`: one row per received line.

    With `paths`, DuckDB reads the gzip NDJSON files itself (fast; a line that breaks the
    contract raises `DirectReadFailed`). Otherwise `files` carry their text and lines are split
    and parsed one by one, so that bad lines can be quarantined with their number.
    """
    con.execute(
        "CREATE OR REPLACE TEMP TABLE raw_files (file_no INTEGER, source_file VARCHAR, "
        "hour_start TIMESTAMPTZ, content VARCHAR, path VARCHAR)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE file_faults (file_no INTEGER, reason VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE known (event_id UUID, same_payload BOOLEAN)")
    con.execute("CREATE OR REPLACE TEMP TABLE run_context (run_id BIGINT)")
    for number, fetched in enumerate(files):
        con.execute(
            "INSERT INTO raw_files VALUES (?, ?, ?, ?, ?)",
            (
                number,
                fetched.key,
                fetched.hour_start,
                fetched.text,
                paths[number] if paths else None,
            ),
        )
        if fetched.fault:
            con.execute("INSERT INTO file_faults VALUES (?, ?)", (number, fetched.fault))
    if paths is None:
        con.execute(script(SQL_PACKAGE, "lines.sql").replace("$CONTRACT", contract_json()))
        con.execute(_transform_sql())
        con.execute(script(SQL_PACKAGE, "acquisition.sql"))
        return
    con.execute(_direct_view(paths))
    try:
        con.execute(_transform_sql())
    except duckdb.Error as exc:
        raise DirectReadFailed(str(exc)) from exc
    con.execute(script(SQL_PACKAGE, "acquisition.sql"))
    # Rejected lines need their text and number: only the line path has them.
    rejected = count(con, "SELECT count(*) FROM records WHERE reason IS NOT NULL")
    if rejected:
        raise DirectReadFailed(f"{rejected} lines break the contract")


def _transform_sql() -> str:
    return script(SQL_PACKAGE, "transform.sql").replace("$PAYLOAD_HASH", payload_hash_sql("duckdb"))


def count(con: duckdb.DuckDBPyConnection, query: str) -> int:
    """The single number `query` returns."""
    # fetchall, not fetchone: a result left unfinished blocks the next streamed query.
    return int(con.execute(query).fetchall()[0][0])


def statement(name: str) -> str:
    """The named statement `name` of `sql/outputs.sql`."""
    return named(SQL_PACKAGE, "outputs.sql")[name]


def _direct_view(paths: Sequence[str]) -> str:
    # Paths are the lake root plus keys matching the event-key allow-list; quotes doubled.
    listed = ", ".join("'" + p.replace("'", "''") + "'" for p in paths)
    return f"""
CREATE OR REPLACE TEMP VIEW lake_records AS
SELECT f.file_no, f.source_file, f.hour_start,
    -- Lines read directly carry no number, and need none: a line is keyed by its row in
    -- `records`. (Numbering them, even in no order, cost a serial pass over the whole batch.)
    -- Repeats of an event_id are ranked by receipt time, file and request first; lines tied
    -- on those came in one request with one payload (a different one is a conflict, whose
    -- lake line `conflicts.py` finds, or the batch is redone line by line), so they are the
    -- same row.
    NULL::INTEGER AS line_number,
    NULL::VARCHAR AS line, true AS is_json, true AS is_object, j.* EXCLUDE (filename)
FROM read_ndjson([{listed}], columns = {contract_columns()}, filename = true,
    compression = 'gzip', maximum_object_size = 16777216) AS j
JOIN raw_files AS f ON f.path = j.filename
"""
