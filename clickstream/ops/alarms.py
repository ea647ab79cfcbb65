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

from clickstream.settings import OpsSettings

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


@dataclass(frozen=True)
class Context:
    """What rules may look at."""

    conn: psycopg.Connection
    settings: OpsSettings


Rule = Callable[[Context], Finding | None]


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


RULES: dict[str, Rule] = {
    "etl_run_failed": etl_run_failed,
    "nothing_loaded": nothing_loaded,
    "quarantine_growing": quarantine_growing,
    "disk_free_low": disk_free_low,
}
