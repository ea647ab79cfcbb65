"""Saved session-window funnels, precomputed per day (`funnel_days`, migration 0100).

A session's steps all fall in one day, so a saved funnel with window `session` can be counted
per day once and the days added up per request: `funnel_days` holds, per definition (the
ordered steps), day, site, login state, bot flag and step, the entrants and their sorted
seconds since the step before; `funnel_days_covered` the days computed. `refresh` runs in
every derive's transaction (`etl/derive/days.py`) after the days' `session_steps`;
`fill_new` when `clickstream funnels add` saves one. The dashboard reads the roll-up only
when every day of the period that has session steps is covered (`dashboard/funnel_rows.py`).

Fills never run side by side: derives hold the ETL's advisory lock (`locks.etl_lock`), and
`funnels add` fills only when it can take that lock too (else the next ETL run does). A
derive catches a definition up on at most `CATCH_UP_DAYS` uncovered days, newest first, so
a funnel saved over a long history delays no one run by more than that; until all its days
are covered the dashboard walks it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Final

import psycopg

from clickstream.sqlfiles import named
from clickstream.warehouse.funnels import Funnel, Step

SQL_PACKAGE = "clickstream.warehouse"
# Uncovered days a derive fills per definition (each costs about 0.1 s on the 10M warehouse).
CATCH_UP_DAYS: Final = 31


def _statement(name: str) -> str:
    return named(SQL_PACKAGE, "funnel_days.sql")[name]


def _steps(steps: Sequence[Step]) -> dict[str, object]:
    # The definition's key is computed from these in SQL (funnel_days.sql says how).
    return {"step_kinds": [s.kind for s in steps], "step_values": [s.value for s in steps]}


def is_precomputed(funnel: Funnel) -> bool:
    """Whether `funnel`, once saved, is precomputed (its window is one session)."""
    return funnel.window == "session"


def fill_days(conn: psycopg.Connection, steps: Sequence[Step], days: Iterable[date]) -> int:
    """Replace the definition's rows of `days` and mark them covered; the rows written.
    In the caller's transaction, holding the ETL's lock."""
    wanted = sorted(set(days))
    if not wanted:
        return 0
    params = {**_steps(steps), "days": wanted}
    conn.execute(_statement("clear"), params)  # type: ignore[arg-type]
    # JIT off for this statement only (on failure the transaction's end restores it).
    jit = conn.execute(_statement("jit_off")).fetchone()  # type: ignore[arg-type]
    # Unprepared: a generic plan would read all twenty steps (see `fill`).
    row = conn.execute(_statement("fill"), params, prepare=False).fetchone()  # type: ignore[arg-type]
    if jit is not None:
        conn.execute(_statement("jit_back"), {"was": jit[0]})  # type: ignore[arg-type]
    return int(row[0]) if row else 0


def stepped_days(conn: psycopg.Connection) -> list[date]:
    """Every day `session_steps` has rows of."""
    return [row[0] for row in conn.execute(_statement("stepped_days"))]  # type: ignore[arg-type]


def covered_days(conn: psycopg.Connection, steps: Sequence[Step]) -> set[date]:
    """The days the definition of `steps` has computed."""
    found = conn.execute(_statement("covered_days"), _steps(steps))  # type: ignore[arg-type]
    return {row[0] for row in found}


def _saved_definitions(conn: psycopg.Connection) -> list[tuple[Step, ...]]:
    """The saved session-window funnels' definitions (funnels of the same steps share one),
    the rows of every other definition deleted in the same statement, so that a funnel
    removed meanwhile is either kept and filled or gone with its rows, never half."""
    found = conn.execute(_statement("keep_saved"))  # type: ignore[arg-type]
    return [
        tuple(Step(k, v) for k, v in zip(kinds, values, strict=True)) for kinds, values in found
    ]


def _uncovered(present: Iterable[date], covered: set[date]) -> list[date]:
    """The newest `CATCH_UP_DAYS` days of `present` not in `covered`."""
    return sorted((day for day in present if day not in covered), reverse=True)[:CATCH_UP_DAYS]


def refresh(conn: psycopg.Connection, days: Iterable[date]) -> int:
    """For every saved session-window funnel, fill `days` (just derived) and up to
    `CATCH_UP_DAYS` days with session steps it does not cover yet; delete the rows of
    definitions no longer saved. In the caller's transaction, holding the ETL's lock; with no
    funnel saved it costs one statement."""
    definitions = _saved_definitions(conn)
    if not definitions:
        return 0
    derived = set(days)
    present = stepped_days(conn)
    written = 0
    for steps in definitions:
        missing = _uncovered(present, covered_days(conn, steps))
        written += fill_days(conn, steps, derived | set(missing))
    return written


def fill_new(conn: psycopg.Connection, funnel: Funnel) -> int:
    """Fill every day with session steps that `funnel`'s definition does not cover yet, in a
    transaction of its own (`clickstream funnels add`, holding the ETL's lock); 0 for a
    funnel not precomputed."""
    if not is_precomputed(funnel):
        return 0
    with conn.transaction():
        missing = set(stepped_days(conn)) - covered_days(conn, funnel.steps)
        return fill_days(conn, funnel.steps, missing)
