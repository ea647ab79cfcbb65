"""What the JSON API serves: the dashboard's named statements, read from `queries/*.sql`.

Every statement of every query file is served as `GET /api/v1/{page}/{statement}` unless it
is excluded below with a reason. A statement's parameters are read from its SQL text: those
of `Filters.params()` come from the common query parameters, and any other must be declared
in `EXTRAS` (type, choices, default; one query parameter may set several statement
parameters, as `step` sets a funnel's `step_kinds` and `step_values`). A statement taking an
undeclared one is not served (`undeclared()` lists it, and the API's tests fail on it), so a
new parameter is never passed through unchecked and a new page's statement never stops the
dashboard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Final, Literal

from clickstream.dashboard.filters import Filters
from clickstream.dashboard.pages.products import RANKS
from clickstream.dashboard.pages.retention import GRAINS, PERIODS
from clickstream.dashboard.queries import PAGES, statements
from clickstream.sqlfiles import script
from clickstream.warehouse.funnels import MAX_STEPS, MAX_WINDOW_DAYS

_PARAM = re.compile(r"%\((\w+)\)s")
_NAME_LINE = re.compile(r"^-- name: ([a-z_]+)\s*$")

# The parameters every statement may take, set from the common query parameters.
FILTER_PARAMS: Final = frozenset(Filters(date(2000, 1, 2), date(2000, 1, 2)).params())
# `traffic.sql`'s `breakdown`: the values its `dimension` CASE knows.
DIMENSIONS: Final = ("channel", "source_medium", "campaign", "device", "browser", "os", "country")
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000


@dataclass(frozen=True)
class Extra:
    """A statement parameter beyond the filters: how the API reads it from the query string."""

    name: str
    description: str
    # `steps`: repeatable `kind:value` funnel steps; `window`: a funnel window (`session`,
    # `none` or `Nd`).
    kind: Literal["integer", "string", "steps", "window"] = "string"
    choices: tuple[str, ...] = ()
    default: int | str | None = None  # None: required
    maximum: int = MAX_LIMIT
    # The statement parameters it sets, when not just its own name.
    fills: tuple[str, ...] = ()

    @property
    def parameters(self) -> tuple[str, ...]:
        """The statement parameters this query parameter sets."""
        return self.fills or (self.name,)

    @property
    def repeated(self) -> bool:
        """Whether the query string may give it more than once (once per value)."""
        return self.kind == "steps"


EXTRAS: Final = {
    extra.name: extra
    for extra in (
        Extra(
            "limit",
            f"Most rows returned (1 to {MAX_LIMIT}).",
            kind="integer",
            default=DEFAULT_LIMIT,
        ),
        Extra("rank", "The metric products are ranked by.", choices=tuple(RANKS), default="views"),
        Extra("dimension", "The dimension traffic is broken down by.", choices=DIMENSIONS),
        Extra("event", "The event name whose properties are read."),
        Extra("property", "The property key whose values are counted."),
        Extra("grain", "Cohorts by first-visit day or ISO week.", choices=tuple(GRAINS)),
        Extra(
            "periods",
            "Periods after the cohort's first that are counted.",
            kind="integer",
            default=12,
            maximum=max(PERIODS.values()),
        ),
        Extra("anchor", "The step (a page or an event name) the journeys are around."),
        Extra(
            "step",
            "A custom funnel step as kind:value: event:NAME, page:/PATH (a page_view on that "
            "path) or goal:NAME. Repeat it once per step, in order (1 to "
            f"{MAX_STEPS}), as `clickstream funnels add --step` takes them.",
            kind="steps",
            maximum=MAX_STEPS,
            fills=("step_kinds", "step_values"),
        ),
        Extra(
            "window",
            "The custom funnel's window: session (every step in one session), none (by "
            f"visitor, anywhere in the period) or Nd (by visitor, within N days of step 1, N "
            f"from 1 to {MAX_WINDOW_DAYS}), as `clickstream funnels add --window` takes it.",
            kind="window",
            default="session",
            fills=("window", "window_days"),
        ),
    )
}
# Each statement parameter an extra sets, and that extra.
_FILLED_BY: Final = {param: extra for extra in EXTRAS.values() for param in extra.parameters}

# Statements the API does not serve, and why.
EXCLUDED: Final = {
    ("pipeline", "first_run"): "the empty dashboard's guide, not a panel's numbers",
    ("pipeline", "purchases"): "raw purchase events (order ids) that the Pipeline page matches "
    "with the shop's orders in Python; the matching, not this statement, is the panel",
    ("funnels", "rolled"): "the saved funnels' roll-up, which funnels/walk answers from "
    "when it covers the period (funnels/rolled_covered)",
    ("funnels", "rolled_covered"): "whether funnels/walk can answer from the saved funnels' "
    "roll-up; funnels/walk decides it",
}


@dataclass(frozen=True)
class Endpoint:
    """One served statement: `page`'s `name`, its extra parameters and its description."""

    page: str
    name: str
    extras: tuple[Extra, ...]
    site_aware: bool  # applies `%(sites)s`: a token limited to some sites may read it
    description: str

    @property
    def path(self) -> str:
        """The statement's path under /api/v1."""
        return f"/api/v1/{self.page}/{self.name}"


def endpoints() -> dict[tuple[str, str], Endpoint]:
    """Every served statement by (page, name), in the query files' order."""
    return _catalogue()[0]


def undeclared() -> dict[tuple[str, str], tuple[str, ...]]:
    """Statements not served because they take parameters `EXTRAS` does not declare."""
    return _catalogue()[1]


@cache
def _catalogue() -> tuple[dict[tuple[str, str], Endpoint], dict[tuple[str, str], tuple[str, ...]]]:
    found: dict[tuple[str, str], Endpoint] = {}
    unknown_params: dict[tuple[str, str], tuple[str, ...]] = {}
    for page in PAGES:
        notes = _descriptions(page)
        for name, text in statements(page).items():
            if (page, name) in EXCLUDED:
                continue
            params = set(_PARAM.findall(text))
            unknown = tuple(sorted(params - FILTER_PARAMS - set(_FILLED_BY)))
            if unknown:
                unknown_params[(page, name)] = unknown
                continue
            used = (_FILLED_BY[p] for p in sorted(params) if p in _FILLED_BY)
            extras = tuple(dict.fromkeys(used))
            found[(page, name)] = Endpoint(
                page, name, extras, "sites" in params, notes.get(name, "")
            )
    return found, unknown_params


def _descriptions(page: str) -> dict[str, str]:
    """The comment lines just above each `-- name:` line of `page`.sql, by statement name."""
    found: dict[str, str] = {}
    comment: list[str] = []
    for line in script("clickstream.dashboard.queries", f"{page}.sql").splitlines():
        named = _NAME_LINE.match(line)
        if named:
            found[named[1]] = " ".join(comment)
            comment = []
        elif line.startswith("--"):
            comment.append(line[2:].strip())
        else:
            comment = []
    return found
