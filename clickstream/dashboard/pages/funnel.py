"""Funnel: sessions reaching page_view -> product_view -> add_to_cart -> begin_checkout ->
purchase in order, with step and overall conversion and drop-off, by login state, and the
previous period beside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from htmltools import Tag
from shiny import module, ui

from clickstream.dashboard import charts, formatting
from clickstream.dashboard.charts import Chart
from clickstream.dashboard.components import (
    Column,
    Kpi,
    card,
    chart_output,
    kpi_row,
    table,
)
from clickstream.dashboard.pages import FiltersCalc, Tables, chart_of, page_data, panel
from clickstream.dashboard.warehouse import Row, Warehouse

PAGE = "funnel"
STEPS = ("page_view", "product_view", "add_to_cart", "begin_checkout", "purchase")


@dataclass(frozen=True)
class Step:
    """One funnel step in one period."""

    name: str
    sessions: int
    step_conversion: float | None
    overall_conversion: float | None
    drop_off: int


def totals(rows: list[Row], period: str, login_state: str | None = None) -> dict[str, int]:
    """Summed session counts of `period` (and `login_state`, if given) per step."""
    keys = ("sessions", *STEPS)
    found = dict.fromkeys(keys, 0)
    for row in rows:
        if row["period"] == period and login_state in (None, row["login_state"]):
            for key in keys:
                found[key] += int(row[key] or 0)
    return found


def steps(counts: dict[str, int]) -> list[Step]:
    """Each step's count, conversion from the step before, conversion from all sessions,
    and how many sessions the step lost."""
    result, before = [], counts["sessions"]
    for name in STEPS:
        reached = counts[name]
        result.append(
            Step(
                name,
                reached,
                formatting.ratio(reached, before),
                formatting.ratio(reached, counts["sessions"]),
                before - reached,
            )
        )
        before = reached
    return result


@module.ui
def page_ui() -> Any:
    """The Funnel tab."""
    return ui.nav_panel(
        "Funnel",
        ui.output_ui("kpis"),
        ui.layout_columns(
            card("Funnel, this period and the previous", chart_output("funnel_chart")),
            card("Steps", ui.output_ui("steps_table")),
            col_widths=(5, 7),
        ),
        card("By login state", ui.output_ui("login_table")),
        value=PAGE,
    )


@module.server
def page_server(
    input: object, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Funnel tab."""

    data = page_data(warehouse, PAGE, ("steps",), filters)

    @panel(data)
    def kpis(found: Tables) -> Tag:
        now, before = totals(found["steps"], "current"), totals(found["steps"], "previous")
        return kpi_row(
            [
                Kpi("sessions", "Sessions", now["sessions"], before["sessions"]),
                Kpi("purchase", "Reached purchase", now["purchase"], before["purchase"]),
                Kpi(
                    "overall",
                    "Overall conversion",
                    formatting.ratio(now["purchase"], now["sessions"]),
                    formatting.ratio(before["purchase"], before["sessions"]),
                    formatting.percent,
                ),
                Kpi(
                    "cart_to_purchase",
                    "Cart to purchase",
                    formatting.ratio(now["purchase"], now["add_to_cart"]),
                    formatting.ratio(before["purchase"], before["add_to_cart"]),
                    formatting.percent,
                ),
            ]
        )

    @chart_of(data)
    def funnel_chart(found: Tables) -> Chart:
        now, before = totals(found["steps"], "current"), totals(found["steps"], "previous")
        return charts.funnel(
            STEPS,
            {"this period": [now[s] for s in STEPS], "previous period": [before[s] for s in STEPS]},
        )

    @panel(data)
    def steps_table(found: Tables) -> Tag:
        now = totals(found["steps"], "current")
        if not now["sessions"]:
            return table([], [], "No sessions in this period.")
        before = steps(totals(found["steps"], "previous"))
        rows: list[dict[str, Any]] = []
        for current, previous in zip(steps(now), before, strict=True):
            rows.append(
                {
                    "step": current.name,
                    "sessions": current.sessions,
                    "step_conversion": current.step_conversion,
                    "overall_conversion": current.overall_conversion,
                    "drop_off": current.drop_off,
                    "previous_sessions": previous.sessions,
                    "previous_overall": previous.overall_conversion,
                    "change": formatting.change(current.sessions, previous.sessions),
                }
            )
        return table(
            [
                Column("step", "Step"),
                Column("sessions", "Sessions", formatting.count, numeric=True),
                Column("step_conversion", "Step conv.", formatting.percent, numeric=True),
                Column("overall_conversion", "Overall conv.", formatting.percent, numeric=True),
                Column("drop_off", "Drop-off", formatting.count, numeric=True),
                Column("previous_sessions", "Previous", formatting.count, numeric=True),
                Column("previous_overall", "Prev. overall", formatting.percent, numeric=True),
                Column("change", "Change", numeric=True),
            ],
            rows,
            "No sessions in this period.",
        )

    @panel(data)
    def login_table(found: Tables) -> Tag:
        states = sorted({r["login_state"] for r in found["steps"] if r["period"] == "current"})
        rows = []
        for state in states:
            counts = totals(found["steps"], "current", state)
            before = totals(found["steps"], "previous", state)
            rows.append(
                {
                    "login_state": state,
                    **counts,
                    "overall": formatting.ratio(counts["purchase"], counts["sessions"]),
                    "previous_overall": formatting.ratio(before["purchase"], before["sessions"]),
                }
            )
        return table(
            [
                Column("login_state", "Login state"),
                Column("sessions", "Sessions", formatting.count, numeric=True),
                *[Column(s, s, formatting.count, numeric=True) for s in STEPS],
                Column("overall", "Overall conv.", formatting.percent, numeric=True),
                Column("previous_overall", "Prev. overall", formatting.percent, numeric=True),
            ],
            rows,
            "No sessions in this period.",
        )
