"""The Acquisition, Technology and Geography pages, made by one function: headline KPIs and
tables of sessions, conversion and revenue by one dimension of traffic_daily each (or by a
statement of its own, such as the regions), beside the previous period's, all from
`queries/traffic.sql`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from htmltools import Tag
from shiny import module, reactive, ui

from clickstream.dashboard import formatting
from clickstream.dashboard.components import Column, Kpi, card, kpi_row, table
from clickstream.dashboard.pages import FiltersCalc, Tables, by_period, panel, zero
from clickstream.dashboard.warehouse import Row, Warehouse, WarehouseUnavailable

TOP = 20
QUERIES = "traffic"


@dataclass(frozen=True)
class Breakdown:
    """One table of a traffic page: `dimension` as `traffic.sql`'s `breakdown` names it."""

    dimension: str
    title: str  # the card's title
    heading: str  # the label column's heading
    limit: int | None = TOP  # None: every value (a short, closed list such as channels)
    statement: str = "breakdown"  # another statement giving the same columns
    optional: bool = False  # shown only when it has rows (regions: only some databases)

    @property
    def output(self) -> str:
        return f"by_{self.dimension}_table"


def traffic_page(
    page: str, title: str, breakdowns: Sequence[Breakdown]
) -> tuple[Callable[[str], Any], Callable[..., None]]:
    """The Shiny module (`page_ui`, `page_server`) of a page breaking traffic down by each of
    `breakdowns`."""

    @module.ui
    def page_ui() -> Any:
        cards = [
            ui.output_ui(b.output) if b.optional else card(b.title, ui.output_ui(b.output))
            for b in breakdowns
        ]
        return ui.nav_panel(title, ui.output_ui("kpis"), *cards, value=page)

    @module.server
    def page_server(
        input: object, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
    ) -> None:
        @reactive.calc
        def data() -> Tables | WarehouseUnavailable:
            current = filters()
            try:
                found = {"kpis": warehouse.rows(QUERIES, "kpis", current.params())}
                for b in breakdowns:
                    params = current.params(dimension=b.dimension, limit=b.limit)
                    found[b.dimension] = warehouse.rows(QUERIES, b.statement, params)
            except WarehouseUnavailable as exc:
                return exc
            return found

        @panel(data)
        def kpis(found: Tables) -> Tag:
            return headline(found)

        for b in breakdowns:
            _breakdown_panel(data, b)

    return page_ui, page_server


def _breakdown_panel(data: Callable[[], Tables | WarehouseUnavailable], b: Breakdown) -> None:
    def build(found: Tables) -> Tag:
        if b.optional:
            return optional_card(found[b.dimension], b.title, b.heading)
        return breakdown_table(found[b.dimension], b.heading)

    build.__name__ = b.output
    panel(data)(build)


def optional_card(rows: list[Row], title: str, heading: str) -> Tag:
    """A card with the breakdown's table when it has rows, else nothing at all."""
    if not rows:
        return ui.div()
    return card(title, breakdown_table(rows, heading))


def conversion(row: Row, prefix: str = "") -> float | None:
    """Purchasing sessions per session."""
    return formatting.ratio(row.get(prefix + "purchasing_sessions"), row.get(prefix + "sessions"))


def headline(found: Tables) -> Tag:
    """Sessions, conversion rate and revenue of the period beside the previous period's."""
    now, before = by_period(found["kpis"])
    return kpi_row(
        [
            Kpi("sessions", "Sessions", zero(now, "sessions"), zero(before, "sessions")),
            Kpi(
                "conversion",
                "Conversion rate",
                conversion(now),
                conversion(before),
                formatting.percent,
            ),
            Kpi(
                "revenue",
                "Revenue",
                zero(now, "revenue"),
                zero(before, "revenue"),
                formatting.money,
            ),
        ]
    )


def breakdown_table(rows: list[Row], heading: str) -> Tag:
    """One row per value of a dimension: sessions, conversion and revenue, now and before."""
    shown = [
        {
            **row,
            "change": formatting.change(row["sessions"], row["prev_sessions"]),
            "conversion": conversion(row),
            "prev_conversion": conversion(row, "prev_"),
        }
        for row in rows
    ]
    return table(
        [
            Column("label", heading),
            Column("sessions", "Sessions", formatting.count, numeric=True),
            Column("prev_sessions", "Previous", formatting.count, numeric=True),
            Column("change", "Change", numeric=True),
            Column("conversion", "Conversion", formatting.percent, numeric=True),
            Column("prev_conversion", "Previous", formatting.percent, numeric=True),
            Column("revenue", "Revenue", formatting.money, numeric=True),
            Column("prev_revenue", "Previous", formatting.money, numeric=True),
        ],
        shown,
        "No sessions in this period.",
    )
