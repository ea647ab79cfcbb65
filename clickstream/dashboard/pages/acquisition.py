"""Acquisition: where sessions come from (channel, source / medium, campaign), with
sessions, conversion and revenue beside the previous period's."""

from __future__ import annotations

from typing import Any

from htmltools import Tag
from shiny import module, ui

from clickstream.dashboard.components import card
from clickstream.dashboard.pages import FiltersCalc, Tables, page_data, panel
from clickstream.dashboard.pages.breakdowns import TOP, breakdown_table, headline
from clickstream.dashboard.warehouse import Warehouse

PAGE = "acquisition"
QUERIES = ("kpis", "by_channel", "by_source_medium", "by_campaign")


@module.ui
def page_ui() -> Any:
    """The Acquisition tab."""
    return ui.nav_panel(
        "Acquisition",
        ui.output_ui("kpis"),
        card("By channel", ui.output_ui("by_channel_table")),
        card("By source / medium", ui.output_ui("by_source_medium_table")),
        card("By campaign", ui.output_ui("by_campaign_table")),
        value=PAGE,
    )


@module.server
def page_server(
    input: object, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Acquisition tab."""

    data = page_data(warehouse, PAGE, QUERIES, filters, limit=TOP)

    @panel(data)
    def kpis(found: Tables) -> Tag:
        return headline(found)

    @panel(data)
    def by_channel_table(found: Tables) -> Tag:
        return breakdown_table(found["by_channel"], "Channel")

    @panel(data)
    def by_source_medium_table(found: Tables) -> Tag:
        return breakdown_table(found["by_source_medium"], "Source / medium")

    @panel(data)
    def by_campaign_table(found: Tables) -> Tag:
        return breakdown_table(found["by_campaign"], "Campaign")
