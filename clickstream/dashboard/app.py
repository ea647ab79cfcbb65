"""The Shiny app: the pages behind one shared filter sidebar, read through a read-only pool."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

from shiny import App, Inputs, Outputs, Session, reactive, render, ui
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp

from clickstream import utc
from clickstream.dashboard import filters as filtering
from clickstream.dashboard import formatting, guide
from clickstream.dashboard.api import Limits, TokenBook, with_api
from clickstream.dashboard.assets import HintedScript, plotly_head, plotly_source
from clickstream.dashboard.components import STYLE
from clickstream.dashboard.configuration import DashboardSettings
from clickstream.dashboard.pages import (
    acquisition,
    behaviour,
    events,
    funnel,
    funnels,
    geography,
    journeys,
    live,
    overview,
    pipeline,
    products,
    retention,
    sessions,
    technology,
)
from clickstream.dashboard.signin.gate import protect, sign_out_control, user_of
from clickstream.dashboard.warehouse import PoolOptions, Warehouse
from clickstream.settings import load

PAGES = (
    overview,
    funnel,
    funnels,
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
    live,
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
    behind the sign-in gate unless `dashboard_auth` is `none`; beside it, the JSON API under
    /api/ with its own bearer tokens (docs/api.md)."""
    options = settings or load(DashboardSettings)
    filtering.install_input_handlers()
    formatting.use_currency(options.dashboard_currency)
    warehouse = Warehouse(warehouse_url, PoolOptions.from_settings(options))
    default_days = options.dashboard_default_days
    # The Pipeline page compares the shop's orders (read-only) with the purchase events.
    shop_url = options.shop_db_url.get_secret_value() if options.shop_db_url else None
    page_extras: dict[str, dict[str, Any]] = {
        pipeline.PAGE: {"shop_url": shop_url},
        live.PAGE: {
            "urls": options.dashboard_live_sources,
            "refresh": options.dashboard_live_refresh_seconds,
        },
    }
    signed_in = options.dashboard_auth != "none"

    def server(input: Inputs, output: Outputs, session: Session) -> None:
        # The sites this session's account may see (None: every site): the gate put the
        # account on the websocket's scope; without sign-in every site is visible.
        allowed = _allowed_sites(session, signed_in)

        @reactive.calc
        def current() -> filtering.Filters:
            chosen = filtering.from_inputs(
                input.dates(), input.login_state(), input.include_bots(), default_days
            )
            values = {name: input[name]() for name, _, _ in filtering.DIMENSIONS}
            chosen = filtering.with_dimensions(chosen, values, dimension_choices())
            site = input[filtering.SITE_INPUT]()
            return filtering.with_site(chosen, site, allowed, site_choices())

        @reactive.calc
        def dimension_choices() -> dict[str, set[str]]:
            return filtering.choices_of(warehouse, allowed)

        @reactive.calc
        def site_choices() -> dict[str, str]:
            return filtering.site_choices(warehouse, allowed)

        @reactive.effect
        def _offer_sites() -> None:
            offered = {filtering.ALL: filtering.ALL_SITES, **site_choices()}
            with reactive.isolate():
                selected = input[filtering.SITE_INPUT]()
            ui.update_select(filtering.SITE_INPUT, choices=offered, selected=selected)

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
    app = App(_page_ui(default_days, plotly_js, signed_in), server)
    app.starlette_app.router.routes.insert(0, plotly_js.route())
    app.on_shutdown(warehouse.close)
    tokens = TokenBook(warehouse_url)
    app.on_shutdown(tokens.close)
    limits = Limits(default_days, options.dashboard_api_max_days)
    return with_api(protect(app, warehouse_url, options), warehouse, tokens, limits)


def _allowed_sites(session: Session, signed_in: bool) -> tuple[str, ...] | None:
    """The sites the session's account may see; None (every site) only without sign-in."""
    if not signed_in:
        return None
    # Shiny's AppSession keeps the websocket's connection; its Session interface does not say so.
    connection = getattr(session, "http_conn", None)
    user = user_of(connection) if isinstance(connection, HTTPConnection) else None
    # The gate lets no websocket through without an account; none found means no site.
    return () if user is None else user.sites
