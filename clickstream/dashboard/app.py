"""The Shiny app: six pages behind one shared filter sidebar, read through a read-only pool."""

from __future__ import annotations

from typing import Any

from shiny import App, Inputs, Outputs, Session, reactive, render, ui
from starlette.requests import Request

from clickstream.dashboard import filters as filtering
from clickstream.dashboard.charts import PLOTLY_ASSETS, PLOTLY_ROUTE
from clickstream.dashboard.components import STYLE
from clickstream.dashboard.pages import (
    behaviour,
    funnel,
    overview,
    pipeline,
    products,
    sessions,
)
from clickstream.dashboard.warehouse import PoolOptions, Warehouse
from clickstream.settings import DashboardSettings, load

PAGES = (overview, funnel, products, behaviour, sessions, pipeline)


def _page_ui(default_days: int) -> Any:
    def build(_request: Request) -> ui.Tag:
        # Built per request, so "the last 7 days" moves with the calendar.
        return ui.page_navbar(
            *[page.page_ui(page.PAGE) for page in PAGES],
            title="Clickstream",
            id="page",
            sidebar=filtering.sidebar(default_days),
            header=ui.TagList(
                # An inline icon: no request for /favicon.ico, which would 404.
                ui.head_content(
                    ui.tags.link(rel="icon", href="data:,"),
                    # Load and run plotly's widget module while the session starts, not when
                    # the first chart arrives: anywidget gives a chart 2 s to initialise and
                    # logs an error after that, which a busy machine can exceed.
                    ui.tags.link(rel="modulepreload", href=f"{PLOTLY_ROUTE[1:]}/widgetbundle.js"),
                    ui.tags.script(
                        f'import "./{PLOTLY_ROUTE[1:]}/widgetbundle.js";', type="module", async_=""
                    ),
                    STYLE,
                ),
            ),
            fillable=False,
            window_title="Clickstream",
        )

    return build


def create_app(warehouse_url: str, settings: DashboardSettings | None = None) -> App:
    """The dashboards, reading the warehouse at `warehouse_url` (the read-only role's URL)."""
    options = settings or load(DashboardSettings)
    warehouse = Warehouse(
        warehouse_url,
        PoolOptions(
            max_size=options.dashboard_pool_size,
            statement_timeout_ms=int(options.dashboard_statement_timeout_seconds * 1000),
        ),
    )
    default_days = options.dashboard_default_days

    def server(input: Inputs, output: Outputs, session: Session) -> None:
        @reactive.calc
        def current() -> filtering.Filters:
            return filtering.from_inputs(
                input.dates(), input.login_state(), input.include_bots(), default_days
            )

        @reactive.effect
        @reactive.event(input.preset, ignore_init=True)
        def _apply_preset() -> None:
            if input.preset() in ("", "custom"):
                return
            start, end = filtering.last_days(int(input.preset()))
            ui.update_date_range("dates", start=start, end=end)

        @reactive.effect
        @reactive.event(input.dates, ignore_init=True)
        def _mark_custom() -> None:
            # A range picked by hand is no longer "the last N days".
            preset = input.preset()
            if preset in ("", "custom") or input.dates() is None:
                return
            if tuple(input.dates()) != filtering.last_days(int(preset)):
                ui.update_select("preset", selected="custom")

        @render.text
        def filters_summary() -> str:
            return current().describe()

        for page in PAGES:
            page.page_server(page.PAGE, warehouse=warehouse, filters=current)

    app = App(_page_ui(default_days), server, static_assets={PLOTLY_ROUTE: PLOTLY_ASSETS})
    app.on_shutdown(warehouse.close)
    return app
