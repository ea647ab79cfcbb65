"""Events: every event name with its counts and visitors, one event's values of one property
key, and the goals' conversions, each beside the previous period's.

The figures come from day roll-ups (`event_daily`, `event_property_daily`, `goal_daily`), so
a 30-day panel reads a few thousand rows at most; visitors are each day's unique visitors
summed over the period's days.
"""

from __future__ import annotations

from typing import Any

from htmltools import Tag
from shiny import module, reactive, ui

from clickstream.dashboard import formatting
from clickstream.dashboard.components import Column, Kpi, card, kpi_row, table
from clickstream.dashboard.pages import (
    FiltersCalc,
    Tables,
    by_period,
    fetch,
    page_data,
    panel,
    zero,
)
from clickstream.dashboard.warehouse import Row, Warehouse, WarehouseUnavailable

PAGE = "events"
QUERIES = ("kpis", "by_event", "goals")
TOP_VALUES = 50


def goal_rows(rows: list[Row]) -> list[Row]:
    """Goal rows with their conversion rates: converting sessions per session."""
    return [
        {
            **row,
            "rate": formatting.ratio(row["converting"], row["sessions"]),
            "prev_rate": formatting.ratio(row["prev_converting"], row["prev_sessions"]),
        }
        for row in rows
    ]


def _choice(chosen: Any, offered: list[str]) -> str | None:
    # What the user picked if it is still offered, else the first offered (or none).
    return chosen if chosen in offered else (offered[0] if offered else None)


@module.ui
def page_ui() -> Any:
    """The Events tab."""
    return ui.nav_panel(
        "Events",
        ui.output_ui("kpis"),
        card("Events", ui.output_ui("event_table")),
        card(
            "Breakdown by property",
            ui.layout_columns(
                ui.input_select("event", "Event", choices=[]),
                ui.input_select("property", "Property", choices=[]),
            ),
            ui.output_ui("property_table"),
        ),
        card("Goals", ui.output_ui("goal_table")),
        value=PAGE,
    )


@module.server
def page_server(
    input: Any, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Events tab."""

    data = page_data(warehouse, PAGE, QUERIES, filters)

    @reactive.calc
    def events_offered() -> list[str]:
        found = fetch(warehouse, PAGE, ("property_events",), filters())
        if isinstance(found, WarehouseUnavailable):
            return []
        return [row["event_name"] for row in found["property_events"]]

    @reactive.calc
    def event() -> str | None:
        return _choice(input.event(), events_offered())

    @reactive.calc
    def keys_offered() -> list[str]:
        chosen = event()
        if chosen is None:
            return []
        found = fetch(warehouse, PAGE, ("property_keys",), filters(), event=chosen)
        if isinstance(found, WarehouseUnavailable):
            return []
        return [row["property"] for row in found["property_keys"]]

    @reactive.calc
    def key() -> str | None:
        return _choice(input.property(), keys_offered())

    @reactive.effect
    def _offer_events() -> None:
        offered = events_offered()
        with reactive.isolate():
            ui.update_select("event", choices=offered, selected=event())

    @reactive.effect
    def _offer_keys() -> None:
        offered = keys_offered()
        with reactive.isolate():
            ui.update_select("property", choices=offered, selected=key())

    @reactive.calc
    def values() -> Tables | WarehouseUnavailable:
        chosen, prop = event(), key()
        if chosen is None or prop is None:
            return {"property_values": []}
        return fetch(
            warehouse,
            PAGE,
            ("property_values",),
            filters(),
            event=chosen,
            property=prop,
            limit=TOP_VALUES,
        )

    @panel(data)
    def kpis(found: Tables) -> Tag:
        now, before = by_period(found["kpis"])
        goals = goal_rows(found["goals"])
        return kpi_row(
            [
                Kpi("events", "Events", zero(now, "events"), zero(before, "events")),
                Kpi(
                    "event_names",
                    "Event names",
                    zero(now, "event_names"),
                    zero(before, "event_names"),
                ),
                Kpi(
                    "completions",
                    "Goal completions",
                    sum(row["completions"] for row in goals),
                    sum(row["prev_completions"] for row in goals),
                ),
            ]
        )

    @panel(data)
    def event_table(found: Tables) -> Tag:
        rows = [
            {**row, "change": formatting.change(row["events"], row["prev_events"])}
            for row in found["by_event"]
        ]
        return table(
            [
                Column("event_name", "Event"),
                Column("events", "Events", formatting.count, numeric=True),
                Column("prev_events", "Previous", formatting.count, numeric=True),
                Column("change", "Change", numeric=True),
                Column("sessions", "Sessions", formatting.count, numeric=True),
                # Each day's unique visitors, summed over the days (see the module's docstring).
                Column("visitors", "Daily visitors", formatting.count, numeric=True),
                Column("prev_visitors", "Previous", formatting.count, numeric=True),
            ],
            rows,
            "No events in this period.",
        )

    @panel(values)
    def property_table(found: Tables) -> Tag:
        rows = found["property_values"]
        total = sum(row["events"] for row in rows)
        shown = [{**row, "share": formatting.ratio(row["events"], total)} for row in rows]
        return table(
            [
                Column("value", key() or "Value"),
                Column("events", "Events", formatting.count, numeric=True),
                Column("prev_events", "Previous", formatting.count, numeric=True),
                Column("sessions", "Sessions", formatting.count, numeric=True),
                Column("share", "Share", formatting.percent, numeric=True),
            ],
            shown,
            "No event carried properties in this period.",
        )

    @panel(data)
    def goal_table(found: Tables) -> Tag:
        return table(
            [
                Column("goal", "Goal"),
                Column("completions", "Completions", formatting.count, numeric=True),
                Column("prev_completions", "Previous", formatting.count, numeric=True),
                Column("converting", "Converting sessions", formatting.count, numeric=True),
                Column("prev_converting", "Previous", formatting.count, numeric=True),
                Column("rate", "Conversion rate", formatting.percent, numeric=True),
                Column("prev_rate", "Previous", formatting.percent, numeric=True),
            ],
            goal_rows(found["goals"]),
            "No goals defined: add one with `clickstream goals add`.",
        )
