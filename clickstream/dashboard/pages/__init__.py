"""One module per dashboard page, each a Shiny module: `page_ui(id)` and `page_server(id, ...)`.

Pages fetch everything they show in one reactive step through `fetch`, so a page's panels
always agree with each other, and show a friendly state instead of an error when the
warehouse is empty or cannot answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from shiny import reactive
from shinywidgets import render_widget

from clickstream.dashboard.charts import Chart, Figure, redraw, widget
from clickstream.dashboard.filters import Filters
from clickstream.dashboard.warehouse import Row, Warehouse, WarehouseUnavailable

FiltersCalc = Callable[[], Filters]
Tables = dict[str, list[Row]]


def fetch(
    warehouse: Warehouse, page: str, names: Sequence[str], filters: Filters, **extra: Any
) -> Tables | WarehouseUnavailable:
    """Run `names` of `page` with the filters' parameters; the failure instead of raising it."""
    params = filters.params(**extra)
    try:
        return {name: warehouse.rows(page, name, params) for name in names}
    except WarehouseUnavailable as exc:
        return exc


def by_period(rows: list[Row]) -> tuple[Row, Row]:
    """Split rows keyed by `period` into (current, previous); a missing period is empty."""
    found = {row["period"]: row for row in rows}
    return found.get("current", {}), found.get("previous", {})


def zero(row: Row, key: str) -> Any:
    """`row[key]`, or 0 when the period had no rows at all."""
    value = row.get(key)
    return 0 if value is None else value


def chart(build: Callable[[], Chart]) -> None:
    """Decorator: the output `build.__name__` shows `build()`'s chart, as a widget created
    once when the output is first shown and then redrawn in place whenever what `build`
    reads changes."""
    drawn: list[Chart] = []  # what the widget shows

    def first() -> Figure:
        with reactive.isolate():
            drawn[:] = [build()]
        return widget(drawn[0])

    first.__name__ = build.__name__
    shown = render_widget(first)

    @reactive.effect
    def _redraw() -> None:
        # The widget first: until its tab is shown this stops here (silently), so a hidden
        # page runs no query at all.
        figure = shown.widget
        wanted = build()
        if figure is not None and drawn and wanted != drawn[0]:
            redraw(figure, wanted)
            drawn[0] = wanted
