"""`clickstream dashboard serve`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from clickstream.cli.common import listen_options, resolve_settings, serve, with_warehouse
from clickstream.dashboard.configuration import DashboardSettings

if TYPE_CHECKING:  # the guide imports Shiny: only `dashboard serve` pays for it
    from clickstream.dashboard.guide import NextLoad


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
        app = create_app(url, settings, next_load=_next_load())
        serve(app, settings.dashboard_host, settings.dashboard_port)

    with_warehouse(settings, work, role="dashboard")


def _next_load() -> NextLoad | None:
    """When the scheduler next loads, from the ETL's schedule (for the empty dashboard's guide)."""
    from clickstream import utc
    from clickstream.etl.configuration import EtlSettings
    from clickstream.scheduler.expressions import ScheduleExpressionInvalid, parse
    from clickstream.settings import SettingsInvalid, load

    try:
        schedule = parse(load(EtlSettings).etl_schedule)
    except (ScheduleExpressionInvalid, SettingsInvalid):
        return None  # the scheduler itself reports a bad schedule
    return lambda last: schedule.next_after(utc.now(), anchor=last)
