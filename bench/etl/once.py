"""One measured step of the ETL benchmark, run in its own process so its peak RSS is its own.

Usage: python -m bench.etl.once etl WAREHOUSE_URL LAKE
       python -m bench.etl.once copy WAREHOUSE_URL ROWS_FILE  (CSV, or binary COPY if *.pgcopy)
Prints one line: `<rows> <seconds>`.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import psycopg

from clickstream.etl.copy import copy_in
from clickstream.etl.run import run_etl
from clickstream.etl.transform import EVENT_COLUMNS
from clickstream.lake import open_lake
from clickstream.ops.logging import configure_logging

# The warehouse's event indexes: the event_id key (the registry's, here on the table itself)
# and the time index. Migration 0070 dropped the (event_name, event_timestamp) index from the
# warehouse, so it went from here too: the baseline does no index work the ETL skips.
BARE_TABLE = """
CREATE TABLE bare_events (LIKE clickstream_events INCLUDING DEFAULTS);
ALTER TABLE bare_events ADD PRIMARY KEY (event_id);
CREATE INDEX bare_events_timestamp_idx ON bare_events (event_timestamp)
"""


def etl(url: str, lake: str) -> None:
    configure_logging("warning", component="bench")
    spent: dict[str, float] = {}
    last = [time.perf_counter()]

    def step(name: str) -> None:
        now = time.perf_counter()
        spent[name] = spent.get(name, 0.0) + now - last[0]
        last[0] = now

    started = last[0]
    result = run_etl(url, open_lake(lake), trigger="bench", on_step=step)
    elapsed = time.perf_counter() - started
    print("time up to each step (s):", {k: round(v, 2) for k, v in spent.items()}, file=sys.stderr)
    print(result.received, elapsed)


def bare_copy(url: str, rows_file: str) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bare_events")
        for statement in BARE_TABLE.split(";"):
            conn.execute(statement)  # type: ignore[call-overload]
        conn.commit()
        started = time.perf_counter()
        with conn.transaction():
            copy_in(conn, "bare_events", EVENT_COLUMNS, Path(rows_file))
        elapsed = time.perf_counter() - started
        rows = conn.execute("SELECT count(*) FROM bare_events").fetchone()
    print(rows[0] if rows else 0, elapsed)


if __name__ == "__main__":
    mode, url, where = sys.argv[1:4]
    (etl if mode == "etl" else bare_copy)(url, where)
