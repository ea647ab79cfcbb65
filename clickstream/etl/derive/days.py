"""Rebuild the derived tables (sessions and roll-ups) for the days a load touched.

Loads mark days in `etl_dirty_days` inside their own transaction; this rebuilds those days and
clears the marks in one transaction, so a crash anywhere leaves them marked for the next run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

import psycopg

from clickstream.etl.sqlfiles import named

DIRTY_DAYS = "SELECT day FROM etl_dirty_days ORDER BY day FOR UPDATE"
CLEAR_DIRTY = "DELETE FROM etl_dirty_days WHERE day = ANY(%s::date[])"
MARK_RANGE = """
INSERT INTO etl_dirty_days (day)
SELECT generate_series(%s::date, %s::date, interval '1 day')::date
ON CONFLICT DO NOTHING
"""
STEPS = (
    "clear",
    "day_events",
    "sessions",
    "visitor_daily",
    "daily_kpis",
    "funnel_daily",
    "product_daily",
    "page_daily",
    "drop_day_events",
)


def rebuild_day(conn: psycopg.Connection, day: date) -> None:
    """Replace every derived row of `day` with rows computed from that day's events."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    params = {"day": day, "start": start, "end": start + timedelta(days=1)}
    statements = named("clickstream.etl.derive", "rebuild_day.sql")
    for step in STEPS:
        for statement in statements[step].split(";\n"):
            if statement.strip():
                conn.execute(statement, params)  # type: ignore[arg-type]


def mark_days(conn: psycopg.Connection, first: date, last: date) -> None:
    """Mark every day from `first` to `last` (inclusive) for rebuilding."""
    conn.execute(MARK_RANGE, (first, last))


def derive_dirty_days(conn: psycopg.Connection) -> list[date]:
    """Rebuild every marked day and clear the marks; the caller commits."""
    days: list[date] = [row[0] for row in conn.execute(DIRTY_DAYS).fetchall()]
    for day in days:
        rebuild_day(conn, day)
    if days:
        conn.execute(CLEAR_DIRTY, (days,))
    return days


def derive_days(conn: psycopg.Connection, days: Iterable[date]) -> None:
    """Rebuild the given days now, marked or not."""
    for day in sorted(set(days)):
        rebuild_day(conn, day)
