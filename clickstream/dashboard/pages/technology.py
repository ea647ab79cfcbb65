"""Technology: the device types, browsers and operating systems of sessions, with
sessions, conversion and revenue beside the previous period's."""

from __future__ import annotations

from typing import Any

from htmltools import Tag
from shiny import module, ui

from clickstream.dashboard.components import card
from clickstream.dashboard.pages import FiltersCalc, Tables, page_data, panel
from clickstream.dashboard.pages.breakdowns import TOP, breakdown_table, headline
from clickstream.dashboard.warehouse import Warehouse

PAGE = "technology"
QUERIES = ("kpis", "by_device", "by_browser", "by_os")


@module.ui
def page_ui() -> Any:
    """The Technology tab."""
    return ui.nav_panel(
        "Technology",
        ui.output_ui("kpis"),
        card("By device type", ui.output_ui("by_device_table")),
        card("By browser", ui.output_ui("by_browser_table")),
        card("By operating system", ui.output_ui("by_os_table")),
        value=PAGE,
    )


@module.server
def page_server(
    input: object, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Technology tab."""

    data = page_data(warehouse, PAGE, QUERIES, filters, limit=TOP)

    @panel(data)
    def kpis(found: Tables) -> Tag:
        return headline(found)

    @panel(data)
    def by_device_table(found: Tables) -> Tag:
        return breakdown_table(found["by_device"], "Device type")

    @panel(data)
    def by_browser_table(found: Tables) -> Tag:
        return breakdown_table(found["by_browser"], "Browser")

    @panel(data)
    def by_os_table(found: Tables) -> Tag:
        return breakdown_table(found["by_os"], "Operating system")
