"""Plotly charts for the pages, shown through shinywidgets; an empty chart says so.

plotly's FigureWidget is an anywidget whose front-end module is the 5 MB `widgetbundle.js`,
sent over the websocket inside every widget and evaluated once per chart: 4-7 s per chart
here. `Figure` sends a two-line module instead that imports that same file, served by this
app from the installed plotly package (`PLOTLY_ASSETS`), so the browser fetches and compiles
it once per page load, from the package and never from a CDN.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import plotly
import plotly.graph_objects as go

Trace = dict[str, Any]

# Mounted by the app at `PLOTLY_ROUTE`; holds plotly.min.js and widgetbundle.js.
PLOTLY_ASSETS: Final = Path(plotly.__file__).parent / "package_data"
PLOTLY_ROUTE: Final = "/plotly-assets"
_WIDGET_MODULE = f"""
const bundle = await import(new URL("{PLOTLY_ROUTE[1:]}/widgetbundle.js", document.baseURI).href);
export default bundle.default;
"""


class Figure(go.FigureWidget):  # type: ignore[misc]
    """plotly's FigureWidget, loading its front-end module by URL (see the module docstring)."""

    _esm = _WIDGET_MODULE


HEIGHT = 300
MARGIN = {"l": 50, "r": 10, "t": 10, "b": 40}
EMPTY_TEXT = "No data for these filters"
# A light look without plotly's template machinery, which costs ~100 ms per figure.
AXIS = {"gridcolor": "#e9ecef", "zerolinecolor": "#dee2e6", "automargin": True}
# Every key any figure sets is set here too, so that `redraw` replaces all of them.
LAYOUT = {
    "paper_bgcolor": "white",
    "plot_bgcolor": "white",
    "font": {"size": 12},
    "colorway": ["#2c7be5", "#f5803e", "#00d97e", "#e63757", "#6b5eae", "#39afd1"],
    "legend": {"orientation": "h"},
    "xaxis": AXIS,
    "yaxis": AXIS,
    "annotations": [],
    "funnelmode": "stack",
}


@dataclass(frozen=True)
class Chart:
    """What a chart shows, as plain data: plotly traces and layout.

    Building a `Figure` widget costs tens of milliseconds; a chart is compared and redrawn
    as this plain value and becomes a widget only once, when its output is first shown.
    """

    data: list[Trace]
    layout: dict[str, Any]


def _figure(traces: Sequence[Trace], height: int = HEIGHT, **layout: Any) -> Chart:
    return Chart(list(traces), {**LAYOUT, "margin": MARGIN, "height": height, **layout})


def widget(chart: Chart) -> Figure:
    """A new widget drawing `chart`."""
    # Traces and layout are plain dicts from our own code: validating them costs more than
    # drawing them.
    figure = Figure(data=chart.data, layout=chart.layout, _validate=False)
    # Follow the card's width, also when the chart was drawn in a tab not yet shown.
    figure._config = {"responsive": True, "displaylogo": False}
    return figure


def redraw(shown: Figure, chart: Chart) -> None:
    """Make the drawn widget `shown` show `chart`, in place.

    Replacing a widget while the browser still initialises it logs an error there (anywidget
    closes a model that is loading); changing one in place sends small diffs instead.
    """
    shown.data = []
    shown.add_traces(chart.data)
    shown.update_layout(chart.layout, overwrite=True)


def empty(height: int = HEIGHT) -> Chart:
    """A blank figure carrying the friendly empty-state text."""
    return _figure(
        [],
        height=height,
        xaxis={"visible": False},
        yaxis={"visible": False},
        annotations=[
            {
                "text": EMPTY_TEXT,
                "showarrow": False,
                "font": {"size": 15, "color": "#6c757d"},
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
            }
        ],
    )


def _plain(values: Sequence[Any]) -> list[Any]:
    # Decimals and dates as JSON-friendly values.
    return [v if isinstance(v, int | float | str) or v is None else str(v) for v in values]


def lines(x: Sequence[Any], series: dict[str, Sequence[Any]], bars: bool = False) -> Chart:
    """One line (or bar group) per series over a shared x axis, e.g. days."""
    if not x:
        return empty()
    kind: Trace = {"type": "bar"} if bars else {"type": "scatter", "mode": "lines+markers"}
    traces = [
        {**kind, "x": _plain(x), "y": _plain(ys), "name": name} for name, ys in series.items()
    ]
    return _figure(traces, xaxis={**AXIS, "type": "category" if bars else "date"})


def hbar(labels: Sequence[str], values: Sequence[Any], name: str = "") -> Chart:
    """Horizontal bars, largest on top."""
    if not labels:
        return empty()
    trace = {
        "type": "bar",
        "orientation": "h",
        "name": name,
        "x": _plain(values)[::-1],
        "y": _plain(labels)[::-1],
    }
    return _figure(
        [trace],
        height=max(200, 28 * len(labels) + 60),
        margin={**MARGIN, "l": 140},
        yaxis={**AXIS, "type": "category"},
    )


def columns(labels: Sequence[str], values: Sequence[Any], name: str = "") -> Chart:
    """Vertical bars in the given order."""
    if not labels or not any(values):
        return empty()
    trace = {"type": "bar", "name": name, "x": _plain(labels), "y": _plain(values)}
    return _figure([trace], xaxis={**AXIS, "type": "category"})


def pie(labels: Sequence[str], values: Sequence[Any]) -> Chart:
    """Shares of a whole."""
    if not labels or not any(values):
        return empty()
    return _figure(
        [
            {
                "type": "pie",
                "labels": _plain(labels),
                "values": _plain(values),
                "hole": 0.45,
                "sort": False,
            }
        ]
    )


def funnel(steps: Sequence[str], series: dict[str, Sequence[Any]]) -> Chart:
    """Sessions reaching each step, one funnel per series (e.g. this period and the last)."""
    if not any(any(v) for v in series.values()):
        return empty()
    traces = [
        {
            "type": "funnel",
            "y": list(steps),
            "x": _plain(values),
            "name": name,
            "textinfo": "value+percent initial",
        }
        for name, values in series.items()
    ]
    return _figure(traces, height=340, margin={**MARGIN, "l": 120}, funnelmode="group")


def heatmap(rows: Sequence[str], cols: Sequence[Any], values: Sequence[Sequence[Any]]) -> Chart:
    """A grid of counts, e.g. weekday by hour."""
    if not any(any(v) for v in values):
        return empty()
    trace = {
        "type": "heatmap",
        "z": [_plain(v) for v in values],
        "x": _plain(cols),
        "y": list(rows),
        "colorscale": "Blues",
        "reversescale": True,
        "hovertemplate": "%{y} %{x}:00 · %{z}<extra></extra>",
    }
    return _figure(
        [trace],
        height=320,
        xaxis={**AXIS, "type": "category", "title": {"text": "hour (UTC)"}},
        yaxis={**AXIS, "type": "category", "autorange": "reversed"},
    )
