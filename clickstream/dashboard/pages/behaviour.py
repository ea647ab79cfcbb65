"""User behaviour: logged-in vs guest, new vs returning, identity source, an hour-of-week
heatmap, top pages, top referrers, devices and browsers."""

from __future__ import annotations

from typing import Any

from htmltools import Tag
from shiny import module, ui

from clickstream import utc
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

PAGE = "behaviour"
QUERIES = ("audience", "identity_sources", "hour_of_week", "top_pages", "referrers", "devices")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TOP = 15


def audience(rows: list[Row], period: str) -> dict[str, int]:
    """Sessions of `period` by login state and by new or returning."""
    mine = [r for r in rows if r["period"] == period]
    total = sum(int(r["sessions"]) for r in mine)
    new = sum(int(r["new_sessions"]) for r in mine)
    logged_in = sum(int(r["sessions"]) for r in mine if r["login_state"] == "logged_in")
    return {
        "logged_in": logged_in,
        "guest": total - logged_in,
        "new": new,
        "returning": total - new,
    }


def week_grid(rows: list[Row]) -> list[list[int]]:
    """Sessions started per (ISO weekday, UTC hour) as 7 rows of 24."""
    grid = [[0] * 24 for _ in WEEKDAYS]
    for row in rows:
        hour = utc.as_utc(row["hour"])
        grid[hour.isoweekday() - 1][hour.hour] += int(row["sessions"])
    return grid


@module.ui
def page_ui() -> Any:
    """The User behaviour tab."""
    return ui.nav_panel(
        "User behaviour",
        ui.output_ui("kpis"),
        ui.layout_columns(
            card("Logged in vs guest (sessions)", chart_output("login_chart")),
            card("New vs returning (sessions)", chart_output("visitor_chart")),
            card("Identity source (logged-in events)", chart_output("identity_chart")),
        ),
        card("Sessions by hour of week (UTC)", chart_output("heatmap")),
        ui.layout_columns(
            card("Top pages", ui.output_ui("pages_table")),
            card("Top referrers (sessions)", ui.output_ui("referrers_table")),
            card("Devices and browsers (sessions)", ui.output_ui("devices_table")),
        ),
        value=PAGE,
    )


@module.server
def page_server(
    input: object, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the User behaviour tab."""

    data = page_data(warehouse, PAGE, QUERIES, filters, limit=TOP)

    @panel(data)
    def kpis(found: Tables) -> Tag:
        now, before = (
            audience(found["audience"], "current"),
            audience(found["audience"], "previous"),
        )
        labels = {
            "logged_in": "Logged-in sessions",
            "guest": "Guest sessions",
            "new": "New-visitor sessions",
            "returning": "Returning sessions",
        }
        return kpi_row([Kpi(k, label, now[k], before[k]) for k, label in labels.items()])

    def _pie(found: Tables, keys: tuple[str, str]) -> Chart:
        now = audience(found["audience"], "current")
        return charts.pie(list(keys), [now[k] for k in keys])

    @chart_of(data)
    def login_chart(found: Tables) -> Chart:
        return _pie(found, ("logged_in", "guest"))

    @chart_of(data)
    def visitor_chart(found: Tables) -> Chart:
        return _pie(found, ("new", "returning"))

    @chart_of(data)
    def identity_chart(found: Tables) -> Chart:
        rows = found["identity_sources"]
        return charts.hbar([r["identity_source"] for r in rows], [r["events"] for r in rows])

    @chart_of(data)
    def heatmap(found: Tables) -> Chart:
        return charts.heatmap(WEEKDAYS, list(range(24)), week_grid(found["hour_of_week"]))

    @panel(data)
    def pages_table(found: Tables) -> Tag:
        return table(
            [
                Column("page", "Page"),
                Column("page_views", "Views", formatting.count, numeric=True),
                Column("sessions", "Sessions", formatting.count, numeric=True),
            ],
            found["top_pages"],
            "No page views in this period.",
        )

    @panel(data)
    def referrers_table(found: Tables) -> Tag:
        return table(
            [
                Column("referrer", "Referrer"),
                Column("sessions", "Sessions", formatting.count, numeric=True),
            ],
            found["referrers"],
            "No sessions in this period.",
        )

    @panel(data)
    def devices_table(found: Tables) -> Tag:
        return table(
            [
                Column("device_type", "Device"),
                Column("browser", "Browser"),
                Column("sessions", "Sessions", formatting.count, numeric=True),
            ],
            found["devices"],
            "No sessions in this period.",
        )
