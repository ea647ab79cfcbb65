"""Sessions: sessions and bounces per day, duration and depth distributions, bounce rate,
landing and exit pages."""

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
from clickstream.dashboard.warehouse import Row, Warehouse

PAGE = "sessions"
QUERIES = ("kpis", "per_day", "durations", "depths", "landing_pages", "exit_pages")
# Labels of the duration buckets in sessions.sql (width_bucket over 10, 30, 60, 180, 600, 1800 s).
DURATION_BUCKETS = ("< 10 s", "10-30 s", "30-60 s", "1-3 min", "3-10 min", "10-30 min", "30 min +")
TOP = 15


def session_kpis(row: Row) -> dict[str, float | int | None]:
    """Sessions, bounce rate, mean duration and events per session of one period's row."""
    sessions = zero(row, "sessions")
    return {
        "sessions": sessions,
        "bounce_rate": formatting.ratio(row.get("bounces"), sessions),
        "avg_duration": formatting.ratio(row.get("duration_seconds"), sessions),
        "events_per_session": formatting.ratio(row.get("events"), sessions),
    }


def duration_counts(rows: list[Row]) -> list[int]:
    """Sessions per duration bucket, in bucket order."""
    counts = [0] * len(DURATION_BUCKETS)
    for row in rows:
        counts[int(row["bucket"])] += int(row["sessions"])
    return counts


@module.ui
def page_ui() -> Any:
    """The Sessions tab."""
    return ui.nav_panel(
        "Sessions",
        ui.output_ui("kpis"),
        card("Sessions and bounces per day", chart_output("per_day")),
        ui.layout_columns(
            card("Session duration", chart_output("durations")),
            card("Events per session", chart_output("depths")),
        ),
        ui.layout_columns(
            card("Landing pages", ui.output_ui("landing_table")),
            card("Exit pages", ui.output_ui("exit_table")),
        ),
        value=PAGE,
    )


@module.server
def page_server(
    input: object, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Sessions tab."""

    data = page_data(warehouse, PAGE, QUERIES, filters, limit=TOP)

    @panel(data)
    def kpis(found: Tables) -> Tag:
        now, before = (session_kpis(r) for r in by_period(found["kpis"]))
        return kpi_row(
            [
                Kpi("sessions", "Sessions", now["sessions"], before["sessions"]),
                Kpi(
                    "bounce_rate",
                    "Bounce rate",
                    now["bounce_rate"],
                    before["bounce_rate"],
                    formatting.percent,
                ),
                Kpi(
                    "avg_duration",
                    "Average duration",
                    now["avg_duration"],
                    before["avg_duration"],
                    formatting.duration,
                ),
                Kpi(
                    "events_per_session",
                    "Events per session",
                    now["events_per_session"],
                    before["events_per_session"],
                    formatting.decimal,
                ),
            ]
        )

    @chart_of(data)
    def per_day(found: Tables) -> Chart:
        rows = found["per_day"]
        return charts.lines(
            [r["day"] for r in rows],
            {"sessions": [r["sessions"] for r in rows], "bounces": [r["bounces"] for r in rows]},
        )

    @chart_of(data)
    def durations(found: Tables) -> Chart:
        return charts.columns(DURATION_BUCKETS, duration_counts(found["durations"]), "sessions")

    @chart_of(data)
    def depths(found: Tables) -> Chart:
        rows = found["depths"]
        labels = [f"{r['events']}+" if r["events"] >= 21 else str(r["events"]) for r in rows]
        return charts.columns(labels, [r["sessions"] for r in rows], "sessions")

    @panel(data)
    def landing_table(found: Tables) -> Tag:
        rows = [
            {**r, "bounce_rate": formatting.ratio(r["bounces"], r["entrances"])}
            for r in found["landing_pages"]
        ]
        return table(
            [
                Column("page", "Page"),
                Column("entrances", "Entrances", formatting.count, numeric=True),
                Column("bounce_rate", "Bounce rate", formatting.percent, numeric=True),
            ],
            rows,
            "No sessions in this period.",
        )

    @panel(data)
    def exit_table(found: Tables) -> Tag:
        rows = [
            {**r, "exit_rate": formatting.ratio(r["exits"], r["page_views"])}
            for r in found["exit_pages"]
        ]
        return table(
            [
                Column("page", "Page"),
                Column("exits", "Exits", formatting.count, numeric=True),
                Column("exit_rate", "Exits per view", formatting.percent, numeric=True),
            ],
            rows,
            "No sessions in this period.",
        )
