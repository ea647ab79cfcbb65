"""The Spark engine's derive: sessions cut by Spark, the roll-ups by the shared `derive.sql`.

A day the run alone fills (no event stored in it before the run) has exactly the run's loaded
rows as its events, so the sessions Spark cut from those rows (`sql/sessions.sql`, one window
pass) are that day's sessions. For such a day the shared derive's statements run as always in
DuckDB (`etl/derive/derive.sql`), except `sessions`: its `out_sessions` is Spark's rows of
the day, and every roll-up reads them. Every other marked day (older events stored, or marked
by another run or an erasure) goes through the shared derive unchanged. Both in the caller's
transaction, which also clears the marks.
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, time
from pathlib import Path

import duckdb
import psycopg
import pyarrow
import structlog

from clickstream.etl.copy import SUFFIX, cast_columns, copy_out, write_copy_file
from clickstream.etl.derive import compute
from clickstream.etl.derive.days import derive_dirty_days
from clickstream.etl.derive.retention import after_days, before_days
from clickstream.etl.derive.run_rows import EMPTY_DAYS
from clickstream.etl.transform import connect
from clickstream.sqlfiles import named
from clickstream.warehouse import schema
from clickstream.warehouse.dirty_days import clear_days, dirty_days
from clickstream.warehouse.funnel_days import refresh as refresh_funnel_days
from clickstream.warehouse.goals import Goal, list_goals

log = structlog.get_logger("clickstream.etl")

# The columns of derive.sql's `out_sessions`: the table's, and the exact duration the daily
# KPIs add up (derive.sql keeps it beside duration_seconds).
EXTRA_COLUMNS = ("duration_us",)
SESSIONS_FROM_SPARK = "CREATE OR REPLACE TEMP TABLE out_sessions AS SELECT * FROM spark_sessions"


class SessionColumnsDiffer(RuntimeError):
    """Spark's sessions do not have the columns of the warehouse's `sessions` table."""


def expected_columns() -> list[str]:
    """The columns Spark's sessions must have, in order."""
    columns = list(schema.DERIVED_TABLES["sessions"])
    at = columns.index("duration_seconds") + 1
    return [*columns[:at], *EXTRA_COLUMNS, *columns[at:]]


def check_columns(sessions: pyarrow.Table) -> None:
    """Raise `SessionColumnsDiffer` unless `sessions` has `out_sessions`'s columns in order
    (a column added to the table must be added to `sql/sessions.sql`)."""
    expected = expected_columns()
    if sessions.column_names != expected:
        raise SessionColumnsDiffer(
            f"Spark's sessions have columns {sessions.column_names}, derive.sql's "
            f"out_sessions {expected}"
        )


def fresh_days(conn: psycopg.Connection, days: Sequence[date]) -> set[date]:
    """The days of `days` that hold no stored event (asked before the run's rows move in)."""
    if not days:
        return set()
    return {row[0] for row in conn.execute(EMPTY_DAYS, (list(days),))}


def derive_run(
    conn: psycopg.Connection,
    sessions: pyarrow.Table | None,
    fresh: Collection[date],
    work_dir: Path | None = None,
) -> list[date]:
    """Rebuild every marked day and clear the marks (the caller commits): the `fresh` days
    with Spark's `sessions`, every other one through the shared derive. The days rebuilt."""
    marked = dirty_days(conn)
    own = [day for day in marked if day in fresh] if sessions is not None else []
    if own:
        assert sessions is not None
        goals = tuple(list_goals(conn))
        types = compute.derived_types(conn)
        duck = connect(2, "1GB")
        before_days(conn, own)  # the cohorts, as the shared derive keeps them
        try:
            duck.register("spark_sessions_all", sessions)
            with tempfile.TemporaryDirectory(prefix="clickstream-derive-", dir=work_dir) as tmp:
                for day in own:
                    outputs = derive_day(conn, duck, day, Path(tmp), types, goals)
                    compute.replace_day(conn, outputs)
                    for path in outputs.files.values():
                        path.unlink()
        finally:
            duck.close()
        after_days(conn, own)
        refresh_funnel_days(conn, own)
        clear_days(conn, own)
    rest = derive_dirty_days(conn)
    log.info("etl_spark_derive", sessions_from_spark=len(own), shared=len(rest))
    return sorted({*own, *rest})


def derive_day(
    conn: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection,
    day: date,
    workdir: Path,
    types: compute.DerivedTypes,
    goals: Sequence[Goal],
) -> compute.DayOutputs:
    """`day`'s derived rows as COPY files: derive.sql's steps over the day's stored events,
    with `out_sessions` taken from Spark's sessions (the `spark_sessions_all` relation)."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    stored = workdir / f"stored-{day:%Y%m%d}.csv"
    copy_out(conn, compute._stored_query(start, None), stored)
    duck.execute("CREATE OR REPLACE TEMP VIEW derive_input AS " + compute._read_stored(stored))
    duck.execute(
        "CREATE OR REPLACE TEMP VIEW spark_sessions AS SELECT * FROM spark_sessions_all "
        f"WHERE day = DATE '{day.isoformat()}'"
    )
    compute._load_goals(duck, goals)
    statements = named(compute.SQL_PACKAGE, "derive.sql")
    for step in compute.STEPS + compute.ROLL_UPS:
        duck.execute(SESSIONS_FROM_SPARK if step == "sessions" else statements[step])
    files = {}
    for table, columns in compute.DERIVED_TABLES.items():
        files[table] = workdir / f"{table}-{day:%Y%m%d}{SUFFIX}"
        query = (
            f"SELECT {cast_columns(columns, types[table])} FROM out_{table} "
            f"ORDER BY {', '.join(compute.PRIMARY_KEYS[table])}"
        )
        write_copy_file(duck, query, files[table])
    duck.execute("DROP VIEW derive_input")
    stored.unlink()
    return compute.DayOutputs(day, files)
