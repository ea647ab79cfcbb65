"""One module per dashboard page, each a Shiny module: `page_ui(id)` and `page_server(id, ...)`.

Pages fetch everything they show in one reactive step through `fetch`, so a page's panels
always agree with each other, and show a friendly state instead of an error when the
warehouse is empty or cannot answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from htmltools import Tag
from shiny import reactive, render
from shiny.render.renderer import Jsonifiable, Renderer

from clickstream.dashboard import charts
from clickstream.dashboard.charts import Chart
from clickstream.dashboard.components import chart_output, error_state
from clickstream.dashboard.filters import Filters
from clickstream.dashboard.warehouse import Row, Warehouse, WarehouseUnavailable

FiltersCalc = Callable[[], Filters]
Tables = dict[str, list[Row]]
DataCalc = Callable[[], Tables | WarehouseUnavailable]


def fetch(
    warehouse: Warehouse, page: str, names: Sequence[str], filters: Filters, **extra: Any
) -> Tables | WarehouseUnavailable:
    """Run `names` of `page` with the filters' parameters; the failure instead of raising it."""
    params = filters.params(**extra)
    try:
        return {name: warehouse.rows(page, name, params) for name in names}
    except WarehouseUnavailable as exc:
        return exc


def page_data(
    warehouse: Warehouse, page: str, names: Sequence[str], filters: FiltersCalc, **extra: Any
) -> DataCalc:
    """A reactive calc: `fetch` of `names` of `page` under the current filters."""

    @reactive.calc
    def data() -> Tables | WarehouseUnavailable:
        return fetch(warehouse, page, names, filters(), **extra)

    return data


def by_period(rows: list[Row]) -> tuple[Row, Row]:
    """Split rows keyed by `period` into (current, previous); a missing period is empty."""
    found = {row["period"]: row for row in rows}
    return found.get("current", {}), found.get("previous", {})


def zero(row: Row, key: str) -> Any:
    """`row[key]`, or 0 when the period had no rows at all."""
    value = row.get(key)
    return 0 if value is None else value


def panel(data: DataCalc) -> Callable[[Callable[[Tables], Tag]], None]:
    """Decorator: the output `build.__name__` shows `build(data())`, or the page's error
    state when the warehouse could not answer."""

    def register(build: Callable[[Tables], Tag]) -> None:
        def shown() -> Tag:
            found = data()
            if isinstance(found, WarehouseUnavailable):
                return error_state(str(found))
            return build(found)

        shown.__name__ = build.__name__
        render.ui(shown)

    return register


class ChartRenderer(Renderer[Chart]):
    """Renders a `Chart` as plotly's JSON figure for our output binding (`www/chart.js`),
    which draws it with `Plotly.react`: a changed chart is redrawn in place. Shiny does not
    render an output while it is hidden, so a page not yet shown runs no query at all."""

    def auto_output_ui(self) -> Tag:
        return chart_output(self.output_id)

    async def transform(self, value: Chart) -> Jsonifiable:
        return value.figure()


def chart(build: Callable[[], Chart]) -> None:
    """Decorator: the output `build.__name__` shows `build()`'s chart."""
    ChartRenderer()(build)


def chart_of(data: DataCalc) -> Callable[[Callable[[Tables], Chart]], None]:
    """Decorator: the output `build.__name__` shows `build(data())`'s chart, or an empty chart
    when the warehouse could not answer."""

    def register(build: Callable[[Tables], Chart]) -> None:
        def shown() -> Chart:
            found = data()
            if isinstance(found, WarehouseUnavailable):
                return charts.empty()
            return build(found)

        shown.__name__ = build.__name__
        chart(shown)

    return register
