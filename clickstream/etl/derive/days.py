"""Rebuild the derived tables (sessions and roll-ups) for the days a load touched.

Loads mark days in `etl_dirty_days` (`warehouse/dirty_days.py`) inside their own transaction;
this rebuilds those days and clears the marks in one transaction, so a crash anywhere leaves
them marked for the next run. Incremental runs, `etl backfill`, `etl rebuild` and erasure (as
`clickstream.etl.rederive_days`) all derive through `derive_day`; `derive_days` then keeps the
cohorts and the saved funnels' per-day roll-up.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from datetime import date
from pathlib import Path

import duckdb
import psycopg

from clickstream.etl.derive.compute import (
    DerivedTypes,
    Precomputed,
    derive_day,
    derived_types,
    replace_day,
)
from clickstream.etl.derive.retention import after_days, before_days
from clickstream.etl.derive.run_rows import RunRows
from clickstream.etl.transform import connect
from clickstream.warehouse.dirty_days import clear_days, dirty_days
from clickstream.warehouse.funnel_days import refresh as refresh_funnel_days
from clickstream.warehouse.goals import list_goals


def derive_dirty_days(
    conn: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection | None = None,
    rows: RunRows | None = None,
    work_dir: Path | None = None,
    early: Precomputed | None = None,
) -> list[date]:
    """Rebuild every marked day and clear the marks; the caller commits.

    `rows` are the current run's committed rows, which spare reading them back; `early` are
    days already computed from them.
    """
    days = dirty_days(conn)
    derive_days(conn, days, duck, rows, work_dir, early)
    clear_days(conn, days)
    return days


def derive_days(
    conn: psycopg.Connection,
    days: Iterable[date],
    duck: duckdb.DuckDBPyConnection | None = None,
    rows: RunRows | None = None,
    work_dir: Path | None = None,
    early: Precomputed | None = None,
) -> None:
    """Rebuild the given days now, marked or not, inside the caller's transaction, then the
    cohorts of the visitors they hold (`retention.py`) and the saved session-window funnels'
    days (`warehouse/funnel_days.py`: these days, and days a newly saved one lacks)."""
    wanted = sorted(set(days))
    if not wanted:
        refresh_funnel_days(conn, ())
        return
    goals = tuple(list_goals(conn))
    # Days computed ahead count only if computed from exactly the rows the run committed,
    # and the goals defined now.
    same = early and rows and early.run_files == tuple(rows.files) and early.goals == goals
    ready = early.days if early and same else {}
    types: DerivedTypes | None = None  # read when a day is computed here, not ahead
    own = duck is None
    engine = connect(2, "1GB") if duck is None else duck
    before_days(conn, wanted)
    try:
        with tempfile.TemporaryDirectory(prefix="clickstream-derive-", dir=work_dir) as tmp:
            for day in wanted:
                if rows is not None and day in ready and day in rows.fresh:
                    replace_day(conn, ready[day])
                else:
                    types = types or derived_types(conn)
                    derive_day(conn, engine, day, Path(tmp), rows, types, goals)
    finally:
        if own:
            engine.close()
    after_days(conn, wanted)
    refresh_funnel_days(conn, wanted)
