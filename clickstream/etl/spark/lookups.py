"""The DuckDB engine's own rules, run inside Spark's tasks over distinct values.

Three things the Spark transform does not write again in Spark SQL, because their one
definition lives with the DuckDB engine and two would drift apart:

- user agents: parsed by the `user-agents` library with the bot list of `sql/useragent.sql`
  (`etl/agents.py` installs both in a DuckDB connection);
- landings: UTM parameters, click ids, referrer host, source, medium and the channel the rules
  (`etl/channels.py`, the shipped `channels.toml` or the user's file) name, by
  `sql/acquisition.sql`;
- items: validation (`items_problem`) and canonical form (`raw_items`, `canonical_items`) by
  the macros of `sql/transform.sql`; the canonical JSON text is part of the payload hash.

Each is a `mapInArrow` function over the DISTINCT values of a run (few: agents, landing pairs,
item lists), so every task opens one in-memory DuckDB (`transform.connect`, one thread) and
runs the same SQL on its Arrow batches as the DuckDB engine runs on a batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import cache

import pyarrow

from clickstream.etl.channels import ChannelRules
from clickstream.sqlfiles import script

ArrowMap = Callable[[Iterator[pyarrow.RecordBatch]], Iterator[pyarrow.RecordBatch]]

DUCKDB_SQL = "clickstream.etl.sql"
# What a task's DuckDB may use: it sees one partition of distinct values at a time.
TASK_MEMORY = "512MB"

AGENT_SCHEMA = "user_agent STRING, device_type STRING, browser STRING, os STRING, is_bot BOOLEAN"
AGENTS = """
SELECT user_agent, ua_device_type(user_agent) AS device_type, ua_browser(user_agent) AS browser,
    ua_os(user_agent) AS os, ua_is_bot(user_agent) AS is_bot
FROM batch
"""

# The columns of `landings` (acquisition.sql) the warehouse stores, beside the pair they key.
LANDING_COLUMNS = (
    "referrer_host",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "click_id_name",
    "click_id",
    "traffic_source",
    "traffic_medium",
    "channel",
    "is_plain",
)
LANDING_SCHEMA = ", ".join(
    ["page_url STRING", "referrer STRING"]
    + [f"{c} {'BOOLEAN' if c == 'is_plain' else 'STRING'}" for c in LANDING_COLUMNS]
)

ITEM_SCHEMA = "items_text STRING, items_json STRING, items_reason STRING"
# The text Spark hands over is the item list's JSON as Spark re-printed it (the same values);
# text that is no JSON at all came from a JSON string and is, as there, no array of objects.
ITEMS = """
SELECT items_text, canonical_items(raw) AS items_json,
    items_problem(items_text, raw) AS items_reason
FROM (SELECT items_text, raw_items(TRY_CAST(items_text AS JSON)) AS raw FROM batch)
"""
_MACRO = re.compile(r"^CREATE OR REPLACE MACRO\b", re.MULTILINE)


@cache
def transform_macros() -> str:
    """The `CREATE MACRO` statements of the DuckDB engine's `sql/transform.sql` (its views
    need a batch's tables; its macros need nothing)."""
    text = script(DUCKDB_SQL, "transform.sql")
    statements = []
    for match in _MACRO.finditer(text):
        end = text.index(";\n", match.start())
        statements.append(text[match.start() : end + 1])
    return "\n".join(statements)


def _run(
    batches: Iterator[pyarrow.RecordBatch],
    rules: ChannelRules | None,
    setup: str,
    query: str,
    prepare: str = "",
) -> Iterator[pyarrow.RecordBatch]:
    """`query` over each of `batches` (as the table `batch`, after `prepare`) in one
    task-local DuckDB set up with `setup`."""
    from clickstream.etl.transform import connect

    con = connect(1, TASK_MEMORY, rules)
    try:
        if setup:
            con.execute(setup)
        for batch in batches:
            if batch.num_rows == 0:
                continue
            con.register("batch", pyarrow.Table.from_batches([batch]))
            if prepare:
                con.execute(prepare)
            yield from con.sql(query).to_arrow_table().to_batches()
            con.unregister("batch")
    finally:
        con.close()


def agents() -> ArrowMap:
    """user_agent -> device_type, browser, os, is_bot (`AGENT_SCHEMA`)."""

    def parse_agents(batches: Iterator[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        return _run(batches, None, "", AGENTS)

    return parse_agents


def landings(rules: ChannelRules) -> ArrowMap:
    """(page_url, referrer) -> the acquisition columns under `rules` (`LANDING_SCHEMA`)."""
    # acquisition.sql reads the valid `records` of a batch: these pairs.
    prepare = (
        "CREATE OR REPLACE TEMP TABLE records AS SELECT page_url, referrer, "
        "NULL::VARCHAR AS reason FROM batch;\n" + script(DUCKDB_SQL, "acquisition.sql")
    )
    query = "SELECT page_url, referrer, " + ", ".join(LANDING_COLUMNS) + " FROM landings"

    def parse_landings(batches: Iterator[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        return _run(batches, rules, "", query, prepare)

    return parse_landings


def items() -> ArrowMap:
    """items_text -> items_json (canonical), items_reason (`ITEM_SCHEMA`)."""
    macros = transform_macros()

    def check_items(batches: Iterator[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        return _run(batches, None, macros, ITEMS)

    return check_items
