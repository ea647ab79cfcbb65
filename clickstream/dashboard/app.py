"""The Shiny app: total events, unique clients and events per day."""

from __future__ import annotations

import plotly.graph_objects as go
from shiny import App, reactive, render, ui
from shinywidgets import output_widget, render_widget

from clickstream.dashboard import queries

REFRESH_SECONDS = 30


def create_app(warehouse_url: str) -> App:
    """A Shiny app that reads the warehouse at `warehouse_url`."""
    app_ui = ui.page_fillable(
        # An inline icon: no request for /favicon.ico, which would 404.
        ui.head_content(ui.tags.link(rel="icon", href="data:,")),
        ui.h2("Clickstream"),
        ui.layout_columns(
            ui.value_box("Total events", ui.output_text("total_events")),
            ui.value_box("Unique clients", ui.output_text("unique_clients")),
            fill=False,
        ),
        ui.card(ui.card_header("Events per day"), output_widget("events_per_day")),
        ui.input_action_button("refresh", "Refresh"),
        title="Clickstream",
    )

    def server(input: object, output: object, session: object) -> None:
        @reactive.calc
        def current_totals() -> queries.Totals:
            reactive.invalidate_later(REFRESH_SECONDS)
            input.refresh()  # type: ignore[attr-defined]
            return queries.totals(warehouse_url)

        @render.text
        def total_events() -> str:
            return f"{current_totals().events:,}"

        @render.text
        def unique_clients() -> str:
            return f"{current_totals().clients:,}"

        @render_widget  # type: ignore[misc]
        def events_per_day() -> go.FigureWidget:
            current_totals()
            days = queries.events_per_day(warehouse_url)
            figure = go.FigureWidget(
                data=[
                    go.Bar(
                        x=[d.isoformat() for d, _ in days], y=[n for _, n in days], name="events"
                    )
                ]
            )
            figure.update_layout(margin={"l": 40, "r": 10, "t": 10, "b": 40}, height=320)
            figure.update_xaxes(type="category")
            return figure

    return App(app_ui, server)
