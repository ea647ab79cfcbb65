"""Products: top products by views, cart adds, purchases or revenue with the view-to-purchase
rate, and the same for categories and brands.

Every product line counts (an event's `items`, or its `product`): cart adds and units sold are
quantities, orders the purchases holding the product.
"""

from __future__ import annotations

from typing import Any

from htmltools import Tag
from shiny import module, reactive, ui

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
    fetch,
    page_data,
    panel,
    zero,
)
from clickstream.dashboard.warehouse import Row, Warehouse, WarehouseUnavailable

PAGE = "products"
RANKS = {"views": "Views", "cart_adds": "Cart adds", "purchases": "Purchases", "revenue": "Revenue"}
TOP = 20


def with_rates(rows: list[Row]) -> list[Row]:
    """Rows with `view_to_purchase` = purchases / views."""
    return [{**r, "view_to_purchase": formatting.ratio(r["purchases"], r["views"])} for r in rows]


def _metric_columns() -> list[Column]:
    return [
        Column("views", "Views", formatting.count, numeric=True),
        Column("cart_units", "Cart adds", formatting.count, numeric=True),
        Column("purchases", "Orders", formatting.count, numeric=True),
        Column("units", "Units sold", formatting.count, numeric=True),
        Column("revenue", "Revenue", formatting.money, numeric=True),
        Column("view_to_purchase", "View→purchase", formatting.percent, numeric=True),
    ]


def breakdown_table(rows: list[Row], by: Column, plural: str) -> Tag:
    """Views, carts, purchases and their rates per `by` (a category or a brand)."""
    return table([by, *_metric_columns()], with_rates(rows), f"No {plural} in this period.")


@module.ui
def page_ui() -> Any:
    """The Products tab."""
    return ui.nav_panel(
        "Products",
        ui.output_ui("kpis"),
        ui.input_radio_buttons("rank", "Rank by", RANKS, selected="views", inline=True),
        ui.layout_columns(
            card("Top products", chart_output("top_chart")),
            card("Top products", ui.output_ui("top_table")),
            col_widths=(4, 8),  # nine columns: at 7/12 they did not fit a 1440 px screen
        ),
        ui.layout_columns(
            card("Categories", ui.output_ui("category_table")),
            card("Brands", ui.output_ui("brand_table")),
        ),
        value=PAGE,
    )


@module.server
def page_server(
    input: Any, output: object, session: object, warehouse: Warehouse, filters: FiltersCalc
) -> None:
    """Fill the Products tab."""

    def rank() -> str:
        chosen = str(input.rank())
        return chosen if chosen in RANKS else "views"  # an allow-list, never free text

    data = page_data(warehouse, PAGE, ("kpis", "categories", "brands"), filters, limit=TOP)

    @reactive.calc
    def top() -> Tables | WarehouseUnavailable:
        return fetch(warehouse, PAGE, ("top_products",), filters(), limit=TOP, rank=rank())

    @panel(data)
    def kpis(found: Tables) -> Tag:
        now, before = by_period(found["kpis"])
        return kpi_row(
            [
                Kpi("views", "Product views", zero(now, "views"), zero(before, "views")),
                Kpi("cart_adds", "Cart adds", zero(now, "cart_adds"), zero(before, "cart_adds")),
                Kpi("purchases", "Purchases", zero(now, "purchases"), zero(before, "purchases")),
                Kpi(
                    "revenue",
                    "Revenue",
                    zero(now, "revenue"),
                    zero(before, "revenue"),
                    formatting.money,
                ),
                Kpi(
                    "view_to_purchase",
                    "View to purchase",
                    formatting.ratio(now.get("purchases"), now.get("views")),
                    formatting.ratio(before.get("purchases"), before.get("views")),
                    formatting.percent,
                ),
            ]
        )

    @chart_of(top)
    def top_chart(found: Tables) -> Chart:
        rows = found["top_products"][:10]
        metric = rank()
        return charts.hbar(
            [r["name"] or r["product_id"] for r in rows], [r[metric] for r in rows], RANKS[metric]
        )

    @panel(top)
    def top_table(found: Tables) -> Tag:
        return table(
            [
                Column("product_id", "Product"),
                Column("name", "Name"),
                Column("category", "Category"),
                Column("brand", "Brand"),
                *_metric_columns(),
            ],
            with_rates(found["top_products"]),
            "No product was seen in this period.",
        )

    @panel(data)
    def category_table(found: Tables) -> Tag:
        return breakdown_table(found["categories"], Column("category", "Category"), "categories")

    @panel(data)
    def brand_table(found: Tables) -> Tag:
        return breakdown_table(found["brands"], Column("brand", "Brand"), "brands")
