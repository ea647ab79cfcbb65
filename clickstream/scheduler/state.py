"""The scheduler's pause switch, persisted in the warehouse so every scheduler obeys it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import psycopg

READ_STATE = "SELECT paused, reason, changed_at FROM scheduler_state WHERE singleton"
SET_STATE = """
INSERT INTO scheduler_state (singleton, paused, reason, changed_at) VALUES (true, %s, %s, now())
ON CONFLICT (singleton) DO UPDATE
SET paused = excluded.paused, reason = excluded.reason, changed_at = excluded.changed_at
"""


@dataclass(frozen=True)
class SchedulerState:
    """Whether scheduled runs are paused, why, and since when."""

    paused: bool
    reason: str | None
    changed_at: datetime | None


def read_state(warehouse_url: str) -> SchedulerState:
    """The current pause state (not paused when never set)."""
    with psycopg.connect(warehouse_url, connect_timeout=10) as conn:
        row = conn.execute(READ_STATE).fetchone()
    if row is None:
        return SchedulerState(False, None, None)
    return SchedulerState(bool(row[0]), row[1], row[2])


def set_paused(warehouse_url: str, paused: bool, reason: str | None = None) -> SchedulerState:
    """Pause or resume scheduled runs; manual `etl run` is not affected."""
    with psycopg.connect(warehouse_url, connect_timeout=10) as conn:
        conn.execute(SET_STATE, (paused, reason))
    return read_state(warehouse_url)
