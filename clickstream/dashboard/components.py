"""Small UI pieces shared by the pages: KPI cards, plain tables, empty and error states."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from htmltools import Tag, TagList
from shiny import ui
from shiny.module import resolve_id

from clickstream.dashboard import csvfile, formatting
from clickstream.dashboard.assets import chart_binding

Formatter = Callable[[Any], str]


@dataclass(frozen=True)
class Kpi:
    """A headline number for the chosen period beside the previous period's."""

    key: str
    label: str
    current: Any
    previous: Any
    show: Formatter = formatting.count


def kpi_row(kpis: Sequence[Kpi]) -> Tag:
    """KPI cards in a row; each card carries `data-kpi` for tests and styling."""
    cards = []
    for kpi in kpis:
        cards.append(
            ui.div(
                ui.div(kpi.label, class_="kpi-label"),
                ui.div(kpi.show(kpi.current), class_="kpi-value"),
                ui.div(
                    ui.span("previous ", class_="text-muted"),
                    ui.span(kpi.show(kpi.previous), class_="kpi-previous"),
                    " ",
                    ui.span(formatting.change(kpi.current, kpi.previous), class_="kpi-change"),
                    class_="kpi-compare",
                ),
                class_="kpi card",
                data_kpi=kpi.key,
            )
        )
    return ui.div(*cards, class_="kpi-row")


@dataclass(frozen=True)
class Column:
    """A table column: the row key, its heading and how its values look."""

    key: str
    label: str
    show: Formatter = str
    numeric: bool = False


def table(columns: Sequence[Column], rows: Iterable[dict[str, Any]], empty: str) -> Tag:
    """A plain HTML table (cells carry `data-col`) with a CSV download of its rows, or an empty
    state when there are no rows."""
    rows = list(rows)
    body = [
        ui.tags.tr(
            *[
                ui.tags.td(
                    formatting.MISSING if row.get(c.key) is None else c.show(row.get(c.key)),
                    data_col=c.key,
                    class_="text-end" if c.numeric else None,
                )
                for c in columns
            ]
        )
        for row in rows
    ]
    if not body:
        return empty_state(empty)
    head = ui.tags.tr(
        *[ui.tags.th(c.label, class_="text-end" if c.numeric else None) for c in columns]
    )
    shown = ui.tags.table(
        ui.tags.thead(head), ui.tags.tbody(*body), class_="table table-sm table-hover data-table"
    )
    link = csvfile.download_link(columns, rows, empty)
    return shown if link is None else ui.div(ui.div(link, class_="csv-row"), shown)


def empty_state(message: str) -> Tag:
    """A friendly note where data would be."""
    return ui.div(message, class_="empty-state text-muted")


def error_state(reason: str) -> Tag:
    """A friendly note when the warehouse could not answer."""
    return ui.div(f"Cannot show this right now: {reason}.", class_="error-state text-danger")


def chart_output(id: str) -> Tag:
    """The placeholder for chart `id`, drawn with plotly.js by our binding (`www/chart.js`).

    It carries none of Shiny's `shiny-report-size`/`shiny-report-theme` classes: Shiny would
    measure each such output's size and colours (a style recalculation and layout each) on
    start and on every window resize, which each drawn chart triggers; charts use neither.
    """
    return ui.div(chart_binding(), id=resolve_id(id), class_="clickstream-chart")


def card(title: str, *body: Any, full: bool = False) -> Tag:
    """A titled card."""
    return ui.card(ui.card_header(title), *body, full_screen=full)


STYLE = TagList(
    ui.tags.style(
        """
        .kpi-row { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr));
                   gap: .75rem; margin-bottom: .75rem; }
        .kpi { padding: .6rem .8rem; }
        .kpi-label { font-size: .8rem; text-transform: uppercase; color: #6c757d; }
        .kpi-value { font-size: 1.6rem; font-weight: 600; }
        .kpi-compare { font-size: .8rem; }
        .empty-state, .error-state { padding: 1.5rem; text-align: center; }
        /* Numbers stay on one line; headings and text (names, paths, errors) wrap, so a
           table fits its card at any width instead of being cut off at its edge. */
        .data-table th { white-space: normal; vertical-align: bottom; }
        .data-table td { overflow-wrap: anywhere; }
        .data-table td.text-end { white-space: nowrap; }
        .csv-row { text-align: right; font-size: .75rem; margin-bottom: -.25rem; }
        """
    )
)
