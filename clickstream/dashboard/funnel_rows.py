"""A custom funnel's rows: from the saved funnels' per-day roll-up when it covers the period,
else walked over `session_steps` (`queries/funnels.sql`, `rolled_covered`, `rolled`, `walk`).

Both give the same rows (period, step, entrants, median_seconds): the roll-up is read only for
a funnel with window session whose steps a saved session-window funnel has, and only when
every day of the period and the one before that has session steps is computed
(`warehouse/funnel_days.py`). Unsaved funnels and the visitor windows are walked.
"""

from __future__ import annotations

from collections.abc import Mapping

from clickstream.dashboard.warehouse import Row, Warehouse

PAGE = "funnels"


def roll_up_covers(warehouse: Warehouse, params: Mapping[str, object]) -> bool:
    """Whether the roll-up answers `walk`'s `params` (window session, saved, covered)."""
    if params.get("window") != "session":
        return False
    found = warehouse.rows(PAGE, "rolled_covered", params)
    return bool(found and found[0]["covered"])


def funnel_rows(warehouse: Warehouse, params: Mapping[str, object]) -> list[Row]:
    """The rows of `walk` for `params`, read from the roll-up when it covers them.

    The check and the read are two statements: a derive that removes the definition between
    them leaves the read empty, and an empty read is walked again (the walk is empty too when
    no session did the first step)."""
    if roll_up_covers(warehouse, params):
        rows = warehouse.rows(PAGE, "rolled", params)
        if rows:
            return rows
    return warehouse.rows(PAGE, "walk", params)
