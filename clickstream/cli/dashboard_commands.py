"""`clickstream dashboard serve`."""

from __future__ import annotations

import click

from clickstream.cli.common import listen_options, resolve_settings, serve, with_warehouse
from clickstream.dashboard.configuration import DashboardSettings


@click.group()
def dashboard() -> None:
    """The Shiny dashboards."""


@dashboard.command("serve")
@listen_options("DASHBOARD")
def dashboard_serve(host: str | None, port: int | None) -> None:
    """Serve the dashboards, by default on http://127.0.0.1:3838/.

    Example: clickstream dashboard serve --port 3838
    """
    from clickstream.dashboard.app import create_app

    settings = resolve_settings(
        DashboardSettings, "dashboard", dashboard_host=host, dashboard_port=port
    )

    def work(url: str) -> None:
        serve(create_app(url, settings), settings.dashboard_host, settings.dashboard_port)

    with_warehouse(settings, work, role="dashboard")
