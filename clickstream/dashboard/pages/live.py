"""Live: the last 30 minutes as the ingest counts them (visitors, events per minute, top pages),
read from every configured ingest replica's `/live` and added up, refreshed on its own.

Provisional by design: the ingest counts what it acknowledged, before the ETL's checks,
de-duplication and bot rules; the other pages, from the warehouse, are the numbers of record.
Only the site filter applies here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from htmltools import Tag
from shiny import module, reactive, render, ui

from clickstream import utc
from clickstream.dashboard import charts, formatting
from clickstream.dashboard.charts import Chart
from clickstream.dashboard.components import Column, card, chart_output, error_state, table
from clickstream.dashboard.livefeed import LiveRead, read_live
from clickstream.dashboard.pages import ChartRenderer, FiltersCalc
from clickstream.ingest.live import WINDOW_MINUTES, LiveWindow, summarise

PAGE = "live"
TOP_PAGES = 10
PAGE_COLUMNS = (
    Column("page", "Page"),
    Column("page_views", "Page views", formatting.count, numeric=True),
)


@module.ui
def page_ui() -> Any:
    """The Live tab."""
    return ui.nav_panel(
        "Live",
        ui.output_ui("status"),
        ui.output_ui("kpis"),
        ui.layout_columns(
            card(f"Events per minute, last {WINDOW_MINUTES} minutes", chart_output("per_minute")),
            card(f"Top pages, last {WINDOW_MINUTES} minutes", ui.output_ui("pages_table")),
            col_widths=(7, 5),
        ),
        value=PAGE,
    )


def _kpi(key: str, label: str, value: int) -> Tag:
    return ui.div(
        ui.div(label, class_="kpi-label"),
        ui.div(formatting.count(value), class_="kpi-value"),
        class_="kpi card",
        data_kpi=key,
    )


def status_line(read: LiveRead, sources: int, refresh: float, sites: Any) -> Tag:
    """What the numbers are, when they were read, and which replicas did not answer."""
    missing = "; ".join(f"{url} ({why})" for url, why in read.failures)
    if not sources:
        return error_state("no ingest is configured: set CLICKSTREAM_DASHBOARD_LIVE_URLS")
    if not read.reached:
        return error_state(f"the ingest cannot be reached: {missing}")
    parts: list[Any] = [
        ui.span("Provisional", class_="badge text-bg-warning live-provisional"),
        f" Counted by the ingest as events arrive; read at {utc.now():%H:%M:%S} UTC from "
        f"{read.reached} of {sources} ingest {'replica' if sources == 1 else 'replicas'}, "
        f"again every {refresh:g} s. The other pages, from the warehouse after each ETL run, "
        "are the numbers of record. Only the site filter applies here",
        f" (sites: {', '.join(sites)})." if sites is not None else ".",
    ]
    if missing:
        parts.append(ui.div(f"Not counted: {missing}.", class_="text-warning live-missing"))
    return ui.p(*parts, class_="small live-status")


@module.server
def page_server(
    input: Any,
    output: object,
    session: object,
    warehouse: object,
    filters: FiltersCalc,
    urls: list[str],
    refresh: float,
) -> None:
    """Fill the Live tab, reading the ingest again every `refresh` seconds (`warehouse` is
    unused: this page reads the ingest, not the warehouse)."""

    @reactive.calc
    async def fetched() -> LiveRead:
        # Only the clock reads the ingest again: a change of filters re-summarises what was read.
        reactive.invalidate_later(refresh)
        return await read_live(urls)

    @reactive.calc
    async def latest() -> tuple[LiveRead, LiveWindow]:
        read = await fetched()
        return read, summarise(read.sources, utc.now(), filters().sites)

    @render.ui
    async def status() -> Tag:
        read, _window = await latest()
        return status_line(read, len(urls), refresh, filters().sites)

    @render.ui
    async def kpis() -> Tag:
        read, window = await latest()
        if not read.reached:
            return ui.TagList()  # type: ignore[return-value]
        return ui.div(
            _kpi("visitors", f"Visitors, {WINDOW_MINUTES} min", window.visitors),
            _kpi("events", f"Events, {WINDOW_MINUTES} min", window.events),
            _kpi("this_minute", "Events this minute", window.minutes[-1].events),
            class_="kpi-row",
        )

    async def per_minute() -> Chart:
        read, window = await latest()
        if not read.reached:
            return charts.empty()
        labels = [f"{m.start:%H:%M}" for m in window.minutes]
        series: dict[str, Sequence[Any]] = {
            "Events": [m.events for m in window.minutes],
            "Visitors": [m.visitors for m in window.minutes],
        }
        return charts.lines(labels, series, bars=True)

    ChartRenderer()(per_minute)

    @render.ui
    async def pages_table() -> Tag:
        read, window = await latest()
        if not read.reached:
            return error_state("the ingest cannot be reached")
        rows = [{"page": page, "page_views": views} for page, views in window.pages[:TOP_PAGES]]
        return table(PAGE_COLUMNS, rows, f"No page view in the last {WINDOW_MINUTES} minutes.")
