"""`etl_dirty_days`: the UTC days whose derived rows must be rebuilt.

A load marks its days inside its own transaction; the derive rebuilds the marked days and
clears the marks in one transaction, so a crash anywhere leaves them marked for the next run.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import psycopg

MARK_DAYS = "INSERT INTO etl_dirty_days (day) SELECT unnest(%s::date[]) ON CONFLICT DO NOTHING"
MARK_RANGE = """
INSERT INTO etl_dirty_days (day)
SELECT generate_series(%s::date, %s::date, interval '1 day')::date
ON CONFLICT DO NOTHING
"""
# Locked until the caller commits: the marks are cleared in the same transaction.
DIRTY_DAYS = "SELECT day FROM etl_dirty_days ORDER BY day FOR UPDATE"
CLEAR_DAYS = "DELETE FROM etl_dirty_days WHERE day = ANY(%s::date[])"


def mark_days(conn: psycopg.Connection, days: Sequence[date]) -> None:
    """Mark `days` for rebuilding."""
    conn.execute(MARK_DAYS, (list(days),))


def mark_range(conn: psycopg.Connection, first: date, last: date) -> None:
    """Mark every day from `first` to `last` (inclusive) for rebuilding."""
    conn.execute(MARK_RANGE, (first, last))


def dirty_days(conn: psycopg.Connection) -> list[date]:
    """The marked days, oldest first, locked until the caller's transaction ends."""
    return [row[0] for row in conn.execute(DIRTY_DAYS).fetchall()]


def clear_days(conn: psycopg.Connection, days: Sequence[date]) -> None:
    """Remove the marks of `days` (once they are rebuilt, in the same transaction)."""
    if days:
        conn.execute(CLEAR_DAYS, (list(days),))
