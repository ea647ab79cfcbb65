"""Overview: the period's headline KPIs beside the previous period's, events and sessions per
day, events by type and the split by login state."""

from __future__ import annotations

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
from clickstream.dashboard.pages import (
    FiltersCalc,
    Tables,
    by_period,
    chart_of,
    page_data,
    panel,
    zero,
)
from clickstream.dashboard.warehouse import Warehouse

PAGE = "overview"
QUERIES = ("kpis", "visitors", "timeline", "event_types", "login_split")
EVENT_TYPES = {
    "page_view": "page_view",
    "product_view": "product_view",
    "add_to_cart": "add_to_cart",
    "begin_checkout": "begin_checkout",
    "purchase": "purchase",
    "other": "other events",
}


@module.ui
def page_ui() -> Any:
    """The Overview tab."""
    return ui.nav_panel(
        "Overview",
        ui.output_ui("kpis"),
        ui.layout_columns(
            card("Events and sessions per day", chart_output("timeline")),
            card("Events by type", chart_output("event_types")),
            col_widths=(7, 5),
        ),
        # A table, not a chart: a pie beside it showed the same split and cost the first
        # page a third chart.
        card("By login state", ui.output_ui("login_table")),
        value=PAGE,
    )


def headline_kpis(tables: Tables) -> list[Kpi]:
    """The six headline KPIs from the page's tables."""
    now, before = by_period(tables["kpis"])
    seen_now, seen_before = by_period(tables["visitors"])

    def aov(row: dict[str, object]) -> float | None:
        return formatting.ratio(row.get("revenue"), row.get("purchases"))  # type: ignore[arg-type]

    def conversion(row: dict[str, object]) -> float | None:
        return formatting.ratio(row.get("purchasing_sessions"), row.get("sessions"))  # type: ignore[arg-type]

    return [
        Kpi("events", "Events", zero(now, "events"), zero(before, "events")),
        Kpi(
            "visitors", "Unique visitors", zero(seen_now, "visitors"), zero(seen_before, "visitors")
        ),
        Kpi("sessions", "Sessions", zero(now, "sessions"), zero(before, "sessions")),
        Kpi(
            "conversion", "Conversion rate", conversion(now), conversion(before), formatting.percent
        ),
        Kpi("revenue", "Revenue", zero(now, "revenue"), zero(before, "revenue"), formatting.money),
        Kpi("aov", "Average order value", aov(now), aov(before), formatting.money),
    ]


@module.server
def page_server(
    input: object, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Overview tab."""

    data = page_data(warehouse, PAGE, QUERIES, filters)

    @panel(data)
    def kpis(found: Tables) -> Tag:
        return kpi_row(headline_kpis(found))

    @chart_of(data)
    def timeline(found: Tables) -> Chart:
        if not found["timeline"]:
            return charts.empty()
        rows = found["timeline"]
        return charts.lines(
            [r["day"] for r in rows],
            {"events": [r["events"] for r in rows], "sessions": [r["sessions"] for r in rows]},
        )

    @chart_of(data)
    def event_types(found: Tables) -> Chart:
        if not found["event_types"]:
            return charts.empty()
        row = found["event_types"][0]
        pairs = sorted(
            ((label, int(row[key] or 0)) for key, label in EVENT_TYPES.items()),
            key=lambda pair: -pair[1],
        )
        return charts.hbar([p[0] for p in pairs if p[1]], [p[1] for p in pairs if p[1]])

    @panel(data)
    def login_table(found: Tables) -> Tag:
        rows = found["login_split"]
        total = sum(row["sessions"] or 0 for row in rows)
        shared = [{**row, "share": formatting.ratio(row["sessions"], total)} for row in rows]
        return table(
            [
                Column("login_state", "Login state"),
                Column("sessions", "Sessions", formatting.count, numeric=True),
                Column("share", "Share of sessions", formatting.percent, numeric=True),
                Column("events", "Events", formatting.count, numeric=True),
                Column("revenue", "Revenue", formatting.money, numeric=True),
            ],
            shared,
            "No sessions in this period.",
        )
