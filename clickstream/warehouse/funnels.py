"""Custom funnels: named lists of steps the dashboard counts (docs/dashboard.md).

A step is an event name (`event:add_to_cart`), a page's URL path (`page:/checkout`, a
page_view on that exact path) or a goal (`goal:Pro sign-up`, see `goals.py`). A funnel has 1
to `MAX_STEPS` steps and a window: `session` (every step in one session), `days` (by
visitor, each step within `window_days` days of the first) or `none` (by visitor, anywhere in
the period). Saved in the `funnels` table by the CLI (`clickstream funnels`) and from the
dashboard's Custom funnels page; the numbers come from the `session_steps` roll-up.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

import psycopg
from psycopg.types.json import Jsonb

from clickstream.events.schema import EVENT_NAME_PATTERN
from clickstream.warehouse.goals import GOAL_NAME_PATTERN, MAX_PATH

MAX_STEPS: Final = 20
MAX_WINDOW_DAYS: Final = 366
STEP_KINDS: Final = ("event", "page", "goal")
WINDOW_KINDS: Final = ("session", "days", "none")
FUNNEL_NAME_PATTERN: Final = GOAL_NAME_PATTERN
_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

_UPSERT = """
INSERT INTO funnels (name, steps, window_kind, window_days, site_id)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (name) DO UPDATE SET steps = EXCLUDED.steps, window_kind = EXCLUDED.window_kind,
    window_days = EXCLUDED.window_days, site_id = EXCLUDED.site_id
"""
_INSERT = """
INSERT INTO funnels (name, steps, window_kind, window_days, site_id)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (name) DO NOTHING
"""
_SELECT = "SELECT name, steps, window_kind, window_days, site_id FROM funnels ORDER BY name"
_DELETE = "DELETE FROM funnels WHERE name = %s"


class FunnelInvalid(ValueError):
    """A funnel definition breaks a rule; the message names the part and the rule."""


class FunnelExists(ValueError):
    """A funnel of that name is saved already."""


@dataclass(frozen=True)
class Step:
    """One funnel step: its kind (`event`, `page` or `goal`) and what it must match."""

    kind: str
    value: str

    def describe(self) -> str:
        """The step as the CLI takes and prints it: `kind:value`."""
        return f"{self.kind}:{self.value}"


@dataclass(frozen=True)
class Funnel:
    """A named funnel: its steps in order, its window and, optionally, the site it is for."""

    name: str
    steps: tuple[Step, ...]
    window: str = "session"
    window_days: int | None = None
    site_id: str | None = None

    def describe_window(self) -> str:
        """The window in words, as `funnels list` prints it."""
        if self.window == "days":
            return f"within {self.window_days} days"
        return "within a session" if self.window == "session" else "within the period"

    def params(self) -> dict[str, object]:
        """The parameters `funnels.sql`'s `walk` takes for this funnel."""
        return {
            "step_kinds": [s.kind for s in self.steps],
            "step_values": [s.value for s in self.steps],
            "window": self.window,
            "window_days": self.window_days or 0,
        }


def parse_step(text: str) -> Step:
    """A checked step from `kind:value` (`event:purchase`, `page:/cart`, `goal:Signed up`)."""
    kind, sep, value = text.partition(":")
    if not sep:
        raise FunnelInvalid(f"step {text!r}: write it as kind:value, kind one of event, page, goal")
    return make_step(kind.strip(), value.strip())


def make_step(kind: str, value: str) -> Step:
    """A checked step; raises `FunnelInvalid` naming what is wrong."""
    if kind not in STEP_KINDS:
        raise FunnelInvalid(f"step kind {kind!r} is unknown: use one of {', '.join(STEP_KINDS)}")
    if not value:
        raise FunnelInvalid(f"{kind} step: the {kind} is empty")
    if kind == "event" and not re.match(EVENT_NAME_PATTERN, value):
        raise FunnelInvalid(
            f"event step {value!r}: lower-case letters, digits and _, starting with a letter, "
            "at most 64 (as events are named)"
        )
    if kind == "page" and (
        not value.startswith("/") or len(value) > MAX_PATH or any(c in value for c in "?# \t\n")
    ):
        raise FunnelInvalid(
            f"page step {value!r}: a URL path starting with / without query, fragment or "
            f"spaces (at most {MAX_PATH})"
        )
    if kind == "goal" and not GOAL_NAME_PATTERN.match(value):
        raise FunnelInvalid(f"goal step {value!r}: not a goal name (see `clickstream goals list`)")
    return Step(kind, value)


def make_funnel(
    name: str,
    steps: Sequence[Step],
    window: str = "session",
    window_days: int | None = None,
    site_id: str | None = None,
) -> Funnel:
    """A checked funnel; raises `FunnelInvalid` naming what is wrong."""
    if not name.strip():
        raise FunnelInvalid("funnel name is empty")
    if not FUNNEL_NAME_PATTERN.match(name):
        raise FunnelInvalid(
            f"funnel name {name!r}: 1-64 letters, digits, spaces or _ . : / -, "
            "starting with a letter or digit"
        )
    if not steps:
        raise FunnelInvalid(f"funnel {name!r} has no steps: give 1 to {MAX_STEPS}")
    if len(steps) > MAX_STEPS:
        raise FunnelInvalid(f"funnel {name!r} has {len(steps)} steps: at most {MAX_STEPS}")
    if window not in WINDOW_KINDS:
        raise FunnelInvalid(f"window {window!r} is unknown: use one of {', '.join(WINDOW_KINDS)}")
    if window == "days":
        if window_days is None or not 1 <= window_days <= MAX_WINDOW_DAYS:
            raise FunnelInvalid(f"window of {window_days} days: give 1 to {MAX_WINDOW_DAYS} days")
    else:
        window_days = None
    if site_id is not None and not _SITE.match(site_id):
        raise FunnelInvalid(f"site {site_id!r}: not a site id")
    return Funnel(
        name, tuple(make_step(s.kind, s.value) for s in steps), window, window_days, site_id
    )


def parse_window(text: str) -> tuple[str, int | None]:
    """`session`, `none` or `Nd` (`7d`: within 7 days of the first step) as (kind, days)."""
    found = re.fullmatch(r"(\d{1,3})d", text.strip())
    if found:
        return "days", int(found[1])
    if text.strip() in ("session", "none"):
        return text.strip(), None
    raise FunnelInvalid(f"window {text!r}: write session, none, or a number of days like 7d")


def from_row(row: Sequence[Any]) -> Funnel:
    """A funnel from a `funnels` row (name, steps, window_kind, window_days, site_id)."""
    name, steps, window, days, site = row
    return Funnel(name, tuple(Step(s["kind"], s["value"]) for s in steps), window, days, site)


def _values(funnel: Funnel) -> tuple[object, ...]:
    steps = Jsonb([{"kind": s.kind, "value": s.value} for s in funnel.steps])
    return (funnel.name, steps, funnel.window, funnel.window_days, funnel.site_id)


def add_funnel(conn: psycopg.Connection, funnel: Funnel, replace: bool = False) -> None:
    """Save `funnel`; with `replace` an existing one of that name is overwritten, otherwise
    `FunnelExists` is raised."""
    with conn.transaction():
        # The dashboard's connections read only by default; this transaction writes.
        conn.execute("SET TRANSACTION READ WRITE")
        done = conn.execute(_UPSERT if replace else _INSERT, _values(funnel))
        if done.rowcount == 0:
            raise FunnelExists(f"funnel {funnel.name!r} is saved already: remove it first")


def list_funnels(conn: psycopg.Connection) -> list[Funnel]:
    """Every saved funnel, by name."""
    return [from_row(row) for row in conn.execute(_SELECT).fetchall()]


def remove_funnel(conn: psycopg.Connection, name: str) -> bool:
    """Remove the funnel `name`; False when there was none."""
    with conn.transaction():
        conn.execute("SET TRANSACTION READ WRITE")
        return conn.execute(_DELETE, (name,)).rowcount > 0
