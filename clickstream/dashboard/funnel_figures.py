"""The figures of a custom funnel (pages/funnels.py) from the rows `funnels.sql`'s `walk`
returns: per step, entrants, conversion from the first and the previous step, drop-off and
the median time since the step before."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from clickstream.dashboard import formatting
from clickstream.dashboard.filters import Filters
from clickstream.dashboard.warehouse import Row
from clickstream.warehouse.funnels import Funnel, Step


@dataclass(frozen=True)
class StepFigures:
    """One step of a funnel in one period."""

    number: int
    label: str
    entrants: int
    from_first: float | None
    from_previous: float | None
    drop_off: int
    median_seconds: float | None


def step_label(number: int, step: Step) -> str:
    """`2. page /cart`: the step's place, kind and value (unique even when a step repeats)."""
    return f"{number}. {step.kind} {step.value}"


def figures(rows: Sequence[Row], steps: Sequence[Step], period: str) -> list[StepFigures]:
    """Every step's figures in `period` (`current` or `previous`); steps nobody reached are 0."""
    reached = {int(r["step"]): r for r in rows if r["period"] == period}
    result: list[StepFigures] = []
    first = int(reached[1]["entrants"]) if 1 in reached else 0
    before = first
    for number, step in enumerate(steps, start=1):
        row = reached.get(number)
        entrants = int(row["entrants"]) if row else 0
        median = row.get("median_seconds") if row else None
        result.append(
            StepFigures(
                number,
                step_label(number, step),
                entrants,
                formatting.ratio(entrants, first),
                formatting.ratio(entrants, before) if number > 1 else None,
                before - entrants if number > 1 else 0,
                None if median is None or number == 1 else float(median),
            )
        )
        before = entrants
    return result


def walk_params(funnel: Funnel, filters: Filters) -> dict[str, object]:
    """The `walk` statement's parameters: the filters', the funnel's steps and window, and the
    sites narrowed to the funnel's own site when it has one."""
    params = filters.params(**funnel.params())
    if funnel.site_id is not None:
        allowed = filters.sites is None or funnel.site_id in filters.sites
        params["sites"] = [funnel.site_id] if allowed else []
    return params
