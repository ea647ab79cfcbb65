"""Plotly charts for the pages as plain data; an empty chart says so.

A chart is plotly's JSON figure format (traces, layout, config), built here without plotly's
Python figure classes and drawn in the browser by our output binding (`www/chart.js`) with
plotly.js, which the app serves itself (`assets.py`). The charts use the trace types of
plotly's partial "cartesian" build: bar, scatter, pie and heatmap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

Trace = dict[str, Any]

# Follow the card's width, also when the chart was drawn in a tab not yet shown.
CONFIG: Final = {"responsive": True, "displaylogo": False}
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
}


@dataclass(frozen=True)
class Chart:
    """What a chart shows, as plain data: plotly traces and layout."""

    data: list[Trace]
    layout: dict[str, Any]

    def figure(self) -> dict[str, Any]:
        """The JSON the browser hands to `Plotly.react`."""
        return {"data": self.data, "layout": self.layout, "config": CONFIG}


def _figure(traces: Sequence[Trace], height: int = HEIGHT, **layout: Any) -> Chart:
    return Chart(list(traces), {**LAYOUT, "margin": MARGIN, "height": height, **layout})


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


def _step_text(values: Sequence[Any]) -> list[str]:
    # Each step's count, and from the second step on its conversion from the step before.
    texts = []
    for i, value in enumerate(values):
        count = f"{int(value or 0):,}"
        before = values[i - 1] if i else None
        if before:
            count += f" · {100 * (value or 0) / before:.1f}% of previous step"
        texts.append(count)
    return texts


def funnel(steps: Sequence[str], series: dict[str, Sequence[Any]]) -> Chart:
    """Sessions reaching each step as horizontal bars, first step on top, one bar per series
    (e.g. this period and the last), labelled with the count and the step conversion.

    Bars rather than plotly's funnel trace: that trace is not in the partial plotly.js build
    the dashboard serves, and bars show the same counts.
    """
    if not any(any(v) for v in series.values()):
        return empty()
    traces = [
        {
            "type": "bar",
            "orientation": "h",
            "y": list(steps),
            "x": _plain(values),
            "name": name,
            "text": _step_text(values),
            "textposition": "auto",
            "textangle": 0,
            "cliponaxis": False,
            "hovertemplate": "%{y}: %{text}<extra>%{fullData.name}</extra>",
        }
        for name, values in series.items()
    ]
    return _figure(
        traces,
        height=340,
        margin={**MARGIN, "l": 120},
        barmode="group",
        yaxis={**AXIS, "type": "category", "autorange": "reversed"},
    )


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


def retention_curve(labels: Sequence[str], percents: Sequence[float], name: str) -> Chart:
    """One line of percentages over ordered categories (period offsets), 0-100 on the y axis."""
    if not labels:
        return empty()
    trace = {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": _plain(labels),
        "y": _plain(percents),
        "hovertemplate": "%{x}: %{y:.1f}%<extra></extra>",
    }
    return _figure(
        [trace],
        xaxis={**AXIS, "type": "category"},
        yaxis={**AXIS, "range": [0, 100], "ticksuffix": "%"},
    )
