"""Journeys: around a chosen page or event, the commonest steps up to three before and after
it (tables and a Sankey-style flow), and the sessions' entry and exit pages with their
conversion (the share of those sessions that purchased).

The figures come from day roll-ups (`journey_daily`, `entry_exit_daily`): a request reads one
step's transitions over the period, not the events.
"""

from __future__ import annotations

from typing import Any, Final

from htmltools import Tag
from shiny import module, reactive, ui

from clickstream.dashboard import flows, formatting
from clickstream.dashboard.charts import Chart
from clickstream.dashboard.components import Column, Kpi, card, chart_output, kpi_row, table
from clickstream.dashboard.pages import (
    FiltersCalc,
    Tables,
    by_period,
    chart_of,
    fetch,
    page_data,
    panel,
    zero,
)
from clickstream.dashboard.warehouse import Row, Warehouse, WarehouseUnavailable

PAGE = "journeys"
QUERIES = ("kpis", "anchors", "entries", "exits")
TOP: Final = 15
ANCHORS: Final = 100


def with_conversion(rows: list[Row]) -> list[Row]:
    """Entry or exit rows with their conversion: purchasing sessions per session."""
    return [
        {**row, "conversion": formatting.ratio(row["purchasing_sessions"], row["sessions"])}
        for row in rows
    ]


def default_anchor(found: Tables) -> str | None:
    """The busiest entry page when it can be chosen (a shop's home page), else the busiest step."""
    offered = [row["anchor"] for row in found["anchors"]]
    for row in found["entries"]:
        if row["page"] in offered:
            return str(row["page"])
    return offered[0] if offered else None


def _steps_table(rows: list[Row], empty: str) -> Tag:
    return table(
        [
            Column("depth", "Steps away", str, numeric=True),
            Column("step", "Step"),
            Column("count", "Times", formatting.count, numeric=True),
            Column("share", "Share", formatting.percent, numeric=True),
        ],
        rows,
        empty,
    )


def _pages_table(rows: list[Row]) -> Tag:
    return table(
        [
            Column("page", "Page"),
            Column("sessions", "Sessions", formatting.count, numeric=True),
            Column("conversion", "Conversion", formatting.percent, numeric=True),
        ],
        with_conversion(rows),
        "No sessions in this period.",
    )


@module.ui
def page_ui() -> Any:
    """The Journeys tab."""
    return ui.nav_panel(
        "Journeys",
        ui.output_ui("kpis"),
        ui.input_select("anchor", "Around the step", choices=[], width="100%"),
        card("Flow (3 steps each way)", chart_output("flow"), full=True),
        ui.layout_columns(
            card("Next steps", ui.output_ui("next_table")),
            card("Previous steps", ui.output_ui("previous_table")),
        ),
        ui.layout_columns(
            card("Entry pages", ui.output_ui("entry_table")),
            card("Exit pages", ui.output_ui("exit_table")),
        ),
        value=PAGE,
    )


@module.server
def page_server(
    input: Any, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Journeys tab."""

    data = page_data(warehouse, PAGE, QUERIES, filters, limit=ANCHORS)

    @reactive.calc
    def anchor() -> str | None:
        found = data()
        if isinstance(found, WarehouseUnavailable):
            return None
        offered = [row["anchor"] for row in found["anchors"]]
        chosen = input.anchor()
        return chosen if chosen in offered else default_anchor(found)

    @reactive.effect
    def _offer_anchors() -> None:
        found = data()
        offered = [] if isinstance(found, WarehouseUnavailable) else found["anchors"]
        with reactive.isolate():
            choices = {row["anchor"]: row["anchor"] for row in offered}
            ui.update_select("anchor", choices=choices, selected=anchor())

    @reactive.calc
    def around() -> Tables | WarehouseUnavailable:
        chosen = anchor()
        if chosen is None:
            return {"flows": []}
        return fetch(warehouse, PAGE, ("flows",), filters(), anchor=chosen)

    @chart_of(around)
    def flow(found: Tables) -> Chart:
        chosen = anchor() or ""
        return flows.flow_chart(flows.links(found["flows"], chosen), chosen)

    @panel(around)
    def next_table(found: Tables) -> Tag:
        after, _ = flows.next_and_previous(found["flows"])
        return _steps_table(after, "No steps in this period.")

    @panel(around)
    def previous_table(found: Tables) -> Tag:
        _, before = flows.next_and_previous(found["flows"])
        return _steps_table(before, "No steps in this period.")

    @panel(data)
    def kpis(found: Tables) -> Tag:
        now, before = by_period(found["kpis"])
        return kpi_row(
            [
                Kpi("sessions", "Sessions", zero(now, "sessions"), zero(before, "sessions")),
                Kpi(
                    "conversion",
                    "Conversion",
                    formatting.ratio(now.get("purchasing_sessions"), now.get("sessions")),
                    formatting.ratio(before.get("purchasing_sessions"), before.get("sessions")),
                    formatting.percent,
                ),
            ]
        )

    @panel(data)
    def entry_table(found: Tables) -> Tag:
        return _pages_table(found["entries"][:TOP])

    @panel(data)
    def exit_table(found: Tables) -> Tag:
        return _pages_table(found["exits"][:TOP])
