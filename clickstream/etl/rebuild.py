"""Rebuild the warehouse from the lake: empty every ETL table, then load the whole lake.

The lake is the source of truth. Run history (`etl_runs`) is kept. The result equals what
incremental runs over the same lake produce, because files load in key order and every
derived row is a function of its day's events.
"""

from __future__ import annotations

import psycopg
import structlog

from clickstream.etl.result import RunResult
from clickstream.etl.run import EtlOptions, Step, locked, locked_run
from clickstream.lake.store import LakeStore
from clickstream.warehouse.partitions import drop_daily_partitions

log = structlog.get_logger("clickstream.etl")

EMPTIED_TABLES = (
    "clickstream_events",
    "event_ids",
    "lake_manifest",
    "etl_quarantine",
    "etl_dirty_days",
    "sessions",
    "visitor_daily",
    "daily_kpis",
    "funnel_daily",
    "product_daily",
    "page_daily",
    "traffic_daily",
    "event_items",
    "goal_daily",
    "event_daily",
    "event_property_daily",
    "session_steps",
    "visitor_activity_daily",
    "journey_daily",
    "entry_exit_daily",
    "visitor_first_seen",
    "retention_daily",
    "funnel_days",
    "funnel_days_covered",
)
EMPTY = "TRUNCATE " + ", ".join(EMPTIED_TABLES)


def empty_warehouse(conn: psycopg.Connection) -> None:
    """Remove every loaded and derived row and the daily partitions, in one transaction."""
    with conn.transaction():
        conn.execute(EMPTY)  # type: ignore[arg-type]
        drop_daily_partitions(conn)


def rebuild(
    warehouse_url: str,
    lake: LakeStore,
    options: EtlOptions | None = None,
    on_step: Step | None = None,
) -> RunResult:
    """Empty the warehouse and reload the lake; a no-op when another run holds the lock."""
    with locked(warehouse_url) as lock_conn:
        if lock_conn is None:
            log.info("etl_skipped", reason="another run holds the lock", trigger="rebuild")
            return RunResult(run_id=None, status="skipped")
        empty_warehouse(lock_conn)
        log.info("etl_warehouse_emptied", tables=len(EMPTIED_TABLES))
        return locked_run(lock_conn, warehouse_url, lake, "rebuild", options, on_step)
