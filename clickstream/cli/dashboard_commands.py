"""`clickstream dashboard serve`."""

from __future__ import annotations

import click

from clickstream.cli.common import resolve_settings, with_warehouse
from clickstream.dashboard.configuration import DashboardSettings


@click.group()
def dashboard() -> None:
    """The Shiny dashboards."""


@dashboard.command("serve")
@click.option("--host", default=None, help="Listen address (CLICKSTREAM_DASHBOARD_HOST).")
@click.option("--port", type=int, default=None, help="Listen port (CLICKSTREAM_DASHBOARD_PORT).")
def dashboard_serve(host: str | None, port: int | None) -> None:
    """Serve the dashboards, by default on http://127.0.0.1:3838/.

    Example: clickstream dashboard serve --port 3838
    """
    import uvicorn

    from clickstream.dashboard.app import create_app

    settings = resolve_settings(
        DashboardSettings, "dashboard", dashboard_host=host, dashboard_port=port
    )

    def work(url: str) -> None:
        uvicorn.run(
            create_app(url, settings),
            host=settings.dashboard_host,
            port=settings.dashboard_port,
            access_log=False,
            log_level="warning",
            timeout_graceful_shutdown=5,
        )

    with_warehouse(settings, work, role="dashboard")
