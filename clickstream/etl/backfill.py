"""Re-derive sessions and roll-ups for a date range from the events already loaded."""

from __future__ import annotations

from datetime import date

import psycopg
import structlog

from clickstream.etl.derive.days import derive_dirty_days
from clickstream.etl.result import RunResult
from clickstream.etl.run import EtlRunFailed, locked
from clickstream.warehouse.dirty_days import mark_range
from clickstream.warehouse.ledger import finish_run, start_run

log = structlog.get_logger("clickstream.etl")


class DateRangeInvalid(ValueError):
    """The range ends before it starts, or is longer than allowed."""


MAX_DAYS = 3660


def backfill(warehouse_url: str, first: date, last: date) -> RunResult:
    """Rebuild every derived table for `first`..`last` (inclusive), recorded as a run."""
    if last < first:
        raise DateRangeInvalid(f"--to {last} is before --from {first}")
    if (last - first).days >= MAX_DAYS:
        raise DateRangeInvalid(f"a backfill covers at most {MAX_DAYS} days")
    with locked(warehouse_url) as lock_conn:
        if lock_conn is None:
            log.info("etl_skipped", reason="another run holds the lock", trigger="backfill")
            return RunResult(run_id=None, status="skipped")
        run_id = start_run(lock_conn, "backfill")
        try:
            with (
                psycopg.connect(warehouse_url, autocommit=True) as conn,
                conn.transaction(),
            ):
                mark_range(conn, first, last)
                days = derive_dirty_days(conn)
        except psycopg.Error as exc:
            error = f"{type(exc).__name__}: {exc}"
            finish_run(lock_conn, run_id, "failed", error=error)
            raise EtlRunFailed(f"backfill run {run_id} failed: {error}") from exc
        finish_run(lock_conn, run_id, "succeeded", days=len(days))
        log.info("etl_backfilled", run_id=run_id, days=len(days), first=str(first), last=str(last))
        return RunResult(run_id=run_id, status="succeeded", days_derived=len(days))
