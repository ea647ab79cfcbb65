"""Cohorts across days: each visitor's first day and each day's visitors by cohort.

The per-day roll-ups are replaced day by day; a visitor's first day depends on every day, so
it is kept here, after the derived days are replaced and in the same transaction
(`retention.sql` says how). Every derive (incremental runs, backfill, rebuild, erasure) goes
through `derive_days`, which calls `before_days` and `after_days` around its days.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import psycopg

from clickstream.sqlfiles import named

SQL_PACKAGE = "clickstream.etl.derive"


def _statements() -> dict[str, str]:
    return named(SQL_PACKAGE, "retention.sql")


def before_days(conn: psycopg.Connection, days: list[date]) -> None:
    """Note the visitors active on `days` before they are derived again."""
    statements = _statements()
    conn.execute(statements["drop_scratch"])  # type: ignore[arg-type]
    conn.execute(statements["touched_before"], {"days": days})  # type: ignore[arg-type]


def after_days(conn: psycopg.Connection, days: list[date]) -> list[date]:
    """Recompute the first days of the visitors active on `days` before or after, then the
    cohort counts of every day in the weeks touched; the days counted again."""
    statements = _statements()
    conn.execute(statements["touched_after"], {"days": days})  # type: ignore[arg-type]
    for step in ("first_seen_before", "first_seen_delete", "first_seen_insert"):
        conn.execute(statements[step])  # type: ignore[arg-type]
    moved = [row[0] for row in conn.execute(statements["moved_days"])]  # type: ignore[arg-type]
    counted = week_days([*days, *moved])
    conn.execute(statements["cohorts_delete"], {"days": counted})  # type: ignore[arg-type]
    conn.execute(statements["cohorts_insert"], {"days": counted})  # type: ignore[arg-type]
    conn.execute(statements["drop_scratch"])  # type: ignore[arg-type]
    return counted


def week_days(days: Iterable[date]) -> list[date]:
    """Every day, Monday to Sunday, of the ISO weeks `days` fall in, in order."""
    mondays = {day - timedelta(days=day.weekday()) for day in days}
    # The last week of the calendar ends on a Friday (9999-12-31).
    return sorted(
        monday + timedelta(days=i)
        for monday in mondays
        for i in range(7)
        if (date.max - monday).days >= i
    )
