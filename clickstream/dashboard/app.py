"""The Shiny app: nine pages behind one shared filter sidebar, read through a read-only pool."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from shiny import App, Inputs, Outputs, Session, reactive, render, ui
from starlette.requests import Request
from starlette.types import ASGIApp

from clickstream import utc
from clickstream.dashboard import filters as filtering
from clickstream.dashboard import formatting, guide
from clickstream.dashboard.assets import HintedScript, plotly_head, plotly_source
from clickstream.dashboard.components import STYLE
from clickstream.dashboard.configuration import DashboardSettings
from clickstream.dashboard.pages import (
    acquisition,
    behaviour,
    events,
    funnel,
    geography,
    journeys,
    overview,
    pipeline,
    products,
    retention,
    sessions,
    technology,
)
from clickstream.dashboard.signin.gate import protect, sign_out_control
from clickstream.dashboard.warehouse import PoolOptions, Warehouse
from clickstream.settings import load

PAGES = (
    overview,
    funnel,
    products,
    behaviour,
    sessions,
    acquisition,
    technology,
    geography,
    events,
    retention,
    journeys,
    pipeline,
)
PAGE_BY_NAME = {page.PAGE: page for page in PAGES}


def _page_ui(default_days: int, plotly_js: HintedScript, signed_in: bool = False) -> Any:
    @functools.lru_cache(maxsize=1)
    def for_day(today: date) -> Any:
        # Built and tagified once a day ("the last 7 days" moves with the calendar), not on
        # every request: that took about a tenth of a second of the first page's time.
        return ui.page_navbar(
            *[page.page_ui(page.PAGE) for page in PAGES],
            *([ui.nav_spacer(), sign_out_control()] if signed_in else []),  # type: ignore[list-item]
            title="Clickstream",
            id="page",
            sidebar=filtering.sidebar(default_days, today),
            header=ui.TagList(
                ui.head_content(
                    # An inline icon: no request for /favicon.ico, which would 404.
                    ui.tags.link(rel="icon", href="data:,"),
                    plotly_head(plotly_js),
                    STYLE,
                ),
                guide.placeholder(),
            ),
            fillable=False,
            window_title="Clickstream",
        ).tagify()

    def build(_request: Request) -> Any:
        return for_day(utc.now().date())

    return build


def create_app(
    warehouse_url: str,
    settings: DashboardSettings | None = None,
    next_load: guide.NextLoad | None = None,
) -> ASGIApp:
    """The dashboards, reading the warehouse at `warehouse_url` (the read-only role's URL),
    behind the sign-in gate unless `dashboard_auth` is `none`."""
    options = settings or load(DashboardSettings)
    filtering.install_input_handlers()
    formatting.use_currency(options.dashboard_currency)
    warehouse = Warehouse(warehouse_url, PoolOptions.from_settings(options))
    default_days = options.dashboard_default_days
    # The Pipeline page compares the shop's orders (read-only) with the purchase events.
    shop_url = options.shop_db_url.get_secret_value() if options.shop_db_url else None
    page_extras: dict[str, dict[str, Any]] = {pipeline.PAGE: {"shop_url": shop_url}}

    def server(input: Inputs, output: Outputs, session: Session) -> None:
        @reactive.calc
        def current() -> filtering.Filters:
            chosen = filtering.from_inputs(
                input.dates(), input.login_state(), input.include_bots(), default_days
            )
            values = {name: input[name]() for name, _, _ in filtering.DIMENSIONS}
            return filtering.with_dimensions(chosen, values, dimension_choices())

        @reactive.calc
        def dimension_choices() -> dict[str, set[str]]:
            return filtering.choices_of(warehouse)

        @reactive.effect
        def _offer_dimensions() -> None:
            known = dimension_choices()
            for name, _, key in filtering.DIMENSIONS:
                offered = {filtering.ALL: "All", **{v: v for v in sorted(known.get(key, ()))}}
                with reactive.isolate():
                    selected = input[name]()
                ui.update_select(name, choices=offered, selected=selected)

        @reactive.effect
        @reactive.event(input.preset, ignore_init=True)
        def _apply_preset() -> None:
            days = filtering.preset_days(input.preset())
            if days is not None:
                start, end = filtering.last_days(days)
                ui.update_date_range("dates", start=start, end=end)

        @reactive.effect
        @reactive.event(input.dates, ignore_init=True)
        def _mark_custom() -> None:
            # A range picked by hand is no longer "the last N days".
            days = filtering.preset_days(input.preset())
            if days is None or filtering.dates_problem(input.dates()) or input.dates() is None:
                return
            if tuple(input.dates()) != filtering.last_days(days):
                ui.update_select("preset", selected="custom")

        guide.register(warehouse, next_load)

        @render.text
        def filters_summary() -> str:
            return current().describe()

        @render.ui
        def filters_problem() -> Any:
            problems = [filtering.dates_problem(input.dates())]
            if not filtering.is_preset(input.preset()):
                problems.append("That period is not one of the choices: the dates are unchanged.")
            shown = [ui.p(text, class_="small text-warning") for text in problems if text]
            return ui.TagList(*shown)

        started: set[str] = set()

        def start(name: str) -> None:
            # A page's server is built the first time the page is shown: building every
            # page's outputs and effects up front delayed the first page's.
            if name in started or name not in PAGE_BY_NAME:
                return
            started.add(name)
            extra = page_extras.get(name, {})
            PAGE_BY_NAME[name].page_server(name, warehouse=warehouse, filters=current, **extra)

        start(PAGES[0].PAGE)

        @reactive.effect
        def _start_shown_page() -> None:
            start(input.page())

    plotly_js = HintedScript(plotly_source())
    signed_in = options.dashboard_auth != "none"
    app = App(_page_ui(default_days, plotly_js, signed_in), server)
    app.starlette_app.router.routes.insert(0, plotly_js.route())
    app.on_shutdown(warehouse.close)
    return protect(app, warehouse_url, options)
