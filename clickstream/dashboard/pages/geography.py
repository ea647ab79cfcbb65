"""Geography: the countries sessions come from (looked up from the client IP at ingest),
with sessions, conversion and revenue beside the previous period's."""

from __future__ import annotations

from typing import Any

from htmltools import Tag
from shiny import module, ui

from clickstream.dashboard.components import card
from clickstream.dashboard.pages import FiltersCalc, Tables, page_data, panel
from clickstream.dashboard.pages.breakdowns import TOP, breakdown_table, headline
from clickstream.dashboard.warehouse import Warehouse

PAGE = "geography"
QUERIES = ("kpis", "by_country")


@module.ui
def page_ui() -> Any:
    """The Geography tab."""
    return ui.nav_panel(
        "Geography",
        ui.output_ui("kpis"),
        card("By country", ui.output_ui("by_country_table")),
        value=PAGE,
    )


@module.server
def page_server(
    input: object, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Geography tab."""

    data = page_data(warehouse, PAGE, QUERIES, filters, limit=TOP)

    @panel(data)
    def kpis(found: Tables) -> Tag:
        return headline(found)

    @panel(data)
    def by_country_table(found: Tables) -> Tag:
        return breakdown_table(found["by_country"], "Country")
