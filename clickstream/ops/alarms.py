"""Alarm rules: each looks at the warehouse or the machine and says whether it is firing.

A rule returns a `Finding` while its condition holds and None otherwise; `incidents.py` turns
the change between the two into one "opened" and one "resolved" notification.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg

from clickstream.ops.configuration import OpsSettings
from clickstream.ops.ingest_probe import IngestProbe

LAST_FINISHED_RUN_SQL = """
SELECT run_id, status, error, finished_at FROM etl_runs
WHERE status IN ('succeeded', 'failed') ORDER BY run_id DESC LIMIT 1
"""
HOURS_SINCE_LOAD_SQL = """
SELECT extract(epoch FROM now() - max(loaded_at)) / 3600.0 FROM lake_manifest WHERE loaded > 0
"""
HOURS_SINCE_FIRST_RUN_SQL = """
SELECT extract(epoch FROM now() - min(started_at)) / 3600.0 FROM etl_runs
"""
QUARANTINED_LAST_HOUR_SQL = """
SELECT count(*) FROM etl_quarantine WHERE quarantined_at > now() - interval '1 hour'
"""


@dataclass(frozen=True)
class Finding:
    """A firing alarm: a one-line summary and the facts behind it."""

    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


class Unknown:
    """A rule could not look (no data yet): leave its incident as it is."""


UNKNOWN = Unknown()


@dataclass(frozen=True)
class Context:
    """What rules may look at."""

    conn: psycopg.Connection
    settings: OpsSettings
    ingest: IngestProbe | None = None


Rule = Callable[[Context], Finding | Unknown | None]


def etl_run_failed(ctx: Context) -> Finding | None:
    """The most recent finished ETL run failed."""
    row = ctx.conn.execute(LAST_FINISHED_RUN_SQL).fetchone()
    if row is None or row[1] != "failed":
        return None
    return Finding(f"ETL run {row[0]} failed: {row[2]}", {"run_id": row[0], "error": row[2]})


def nothing_loaded(ctx: Context) -> Finding | None:
    """No event was loaded for longer than the configured number of hours."""
    limit = ctx.settings.alarm_nothing_loaded_hours
    row = ctx.conn.execute(HOURS_SINCE_LOAD_SQL).fetchone()
    hours = row[0] if row else None
    if hours is None:
        first = ctx.conn.execute(HOURS_SINCE_FIRST_RUN_SQL).fetchone()
        hours = first[0] if first else None
    if hours is None or float(hours) <= limit:
        return None
    return Finding(
        f"nothing loaded for {float(hours):.1f} h (limit {limit:g} h)", {"hours": float(hours)}
    )


def quarantine_growing(ctx: Context) -> Finding | None:
    """More records than allowed went to quarantine in the last hour."""
    row = ctx.conn.execute(QUARANTINED_LAST_HOUR_SQL).fetchone()
    count = int(row[0]) if row else 0
    limit = ctx.settings.alarm_quarantine_per_hour
    if count <= limit:
        return None
    return Finding(
        f"{count} records quarantined in the last hour (limit {limit})", {"count": count}
    )


def disk_free_low(ctx: Context) -> Finding | None:
    """The data directory's file system has less free space than allowed."""
    path = Path(ctx.settings.data_dir)
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    free = 100.0 * usage.free / usage.total if usage.total else 100.0
    limit = ctx.settings.alarm_disk_free_percent
    if free >= limit:
        return None
    return Finding(f"{free:.1f}% disk free under {path} (limit {limit:g}%)", {"free_percent": free})


def _rate_finding(ctx: Context, part: str, limit: float, what: str) -> Finding | Unknown | None:
    window = ctx.ingest.window if ctx.ingest else None
    if window is None:
        return UNKNOWN
    if window.requests < ctx.settings.alarm_ingest_min_requests:
        return None
    bad = window.rejected if part == "rejected" else window.server_errors
    rate = bad / window.requests
    if rate <= limit:
        return None
    return Finding(
        f"ingest {what} rate {rate:.1%} over {window.requests:.0f} requests (limit {limit:.1%})",
        {"rate": rate, "requests": window.requests},
    )


def ingest_reject_rate(ctx: Context) -> Finding | Unknown | None:
    """Too large a share of ingest requests was refused since the last check."""
    return _rate_finding(ctx, "rejected", ctx.settings.alarm_ingest_reject_rate, "reject")


def ingest_5xx_rate(ctx: Context) -> Finding | Unknown | None:
    """Too large a share of ingest requests failed with a 5xx since the last check."""
    return _rate_finding(ctx, "server_errors", ctx.settings.alarm_ingest_5xx_rate, "5xx")


def spool_backlog(ctx: Context) -> Finding | Unknown | None:
    """The ingest spools hold more bytes than allowed, or ship them too late."""
    sample = ctx.ingest.current if ctx.ingest else None
    if sample is None:
        return UNKNOWN
    limit_bytes = ctx.settings.alarm_spool_bytes
    limit_lag = ctx.settings.alarm_ship_lag_seconds
    if sample.spool_bytes <= limit_bytes and sample.ship_lag_seconds <= limit_lag:
        return None
    return Finding(
        f"ingest spool holds {sample.spool_bytes / 2**20:.1f} MiB, oldest unshipped event "
        f"{sample.ship_lag_seconds:.0f} s old (limits {limit_bytes / 2**20:.0f} MiB, "
        f"{limit_lag:.0f} s)",
        {"spool_bytes": sample.spool_bytes, "ship_lag_seconds": sample.ship_lag_seconds},
    )


RULES: dict[str, Rule] = {
    "ingest_reject_rate": ingest_reject_rate,
    "ingest_5xx_rate": ingest_5xx_rate,
    "spool_backlog": spool_backlog,
    "etl_run_failed": etl_run_failed,
    "nothing_loaded": nothing_loaded,
    "quarantine_growing": quarantine_growing,
    "disk_free_low": disk_free_low,
}
