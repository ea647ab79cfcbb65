"""Saved session-window funnels, precomputed per day (`funnel_days`, migration 0100).

A session's steps all fall in one day, so a saved funnel with window `session` can be counted
per day once and the days added up per request: `funnel_days` holds, per definition (the
ordered steps), day, site, login state, bot flag and step, the entrants and their sorted
seconds since the step before; `funnel_days_covered` the days computed. `refresh` runs in
every derive's transaction (`etl/derive/days.py`) after the days' `session_steps`;
`fill_new` when `clickstream funnels add` saves one. The dashboard reads the roll-up only
when every day of the period that has session steps is covered (`dashboard/funnel_rows.py`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

import psycopg

from clickstream.sqlfiles import named
from clickstream.warehouse.funnels import Funnel, Step, list_funnels

SQL_PACKAGE = "clickstream.warehouse"


def _statement(name: str) -> str:
    return named(SQL_PACKAGE, "funnel_days.sql")[name]


def _steps(steps: Sequence[Step]) -> dict[str, object]:
    # The definition's key is computed from these in SQL (funnel_days.sql says how).
    return {"step_kinds": [s.kind for s in steps], "step_values": [s.value for s in steps]}


def rolled_up(funnel: Funnel) -> bool:
    """Whether `funnel`, once saved, is precomputed (its window is one session)."""
    return funnel.window == "session"


def fill_days(conn: psycopg.Connection, steps: Sequence[Step], days: Iterable[date]) -> int:
    """Replace the definition's rows of `days` and mark them covered; the rows written.
    The caller's transaction, after `lock`."""
    wanted = sorted(set(days))
    if not wanted:
        return 0
    params = {**_steps(steps), "days": wanted}
    # JIT off for this statement only (on failure the transaction's end restores it).
    jit = conn.execute(_statement("jit_off")).fetchone()  # type: ignore[arg-type]
    # Unprepared: a generic plan would read all twenty steps (see `fill`).
    row = conn.execute(_statement("fill"), params, prepare=False).fetchone()  # type: ignore[arg-type]
    if jit is not None:
        conn.execute(_statement("jit_back"), {"was": jit[0]})  # type: ignore[arg-type]
    return int(row[0]) if row else 0


def lock(conn: psycopg.Connection) -> None:
    """Keep other fills out until the caller's transaction ends (readers still read)."""
    conn.execute(_statement("lock"))  # type: ignore[arg-type]


def stepped_days(conn: psycopg.Connection) -> list[date]:
    """Every day `session_steps` has rows of."""
    return [row[0] for row in conn.execute(_statement("stepped_days"))]  # type: ignore[arg-type]


def covered_days(conn: psycopg.Connection, steps: Sequence[Step]) -> set[date]:
    """The days the definition of `steps` has computed."""
    found = conn.execute(_statement("covered_days"), _steps(steps))  # type: ignore[arg-type]
    return {row[0] for row in found}


def refresh(conn: psycopg.Connection, days: Iterable[date]) -> int:
    """For every saved session-window funnel, fill `days` (just derived) and every day with
    session steps it does not cover yet; delete the rows of definitions no longer saved.
    In the caller's transaction; with no funnel saved it only empties the (empty) tables."""
    lock(conn)
    conn.execute(_statement("prune"))  # type: ignore[arg-type]
    # Funnels of the same steps (other names or sites) share one definition.
    definitions = dict.fromkeys(f.steps for f in list_funnels(conn) if rolled_up(f))
    if not definitions:
        return 0
    derived = set(days)
    present = set(stepped_days(conn))
    written = 0
    for steps in definitions:
        written += fill_days(conn, steps, derived | (present - covered_days(conn, steps)))
    return written


def fill_new(conn: psycopg.Connection, funnel: Funnel) -> int:
    """Fill every day with session steps that `funnel`'s definition does not cover yet, in a
    transaction of its own (`clickstream funnels add`); 0 for a funnel not rolled up."""
    if not rolled_up(funnel):
        return 0
    with conn.transaction():
        lock(conn)
        missing = set(stepped_days(conn)) - covered_days(conn, funnel.steps)
        return fill_days(conn, funnel.steps, missing)
