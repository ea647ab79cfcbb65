"""`clickstream dashboard serve` and `clickstream db migrate`."""

from __future__ import annotations

import click

from clickstream.cli.common import resolve_settings, with_warehouse
from clickstream.dashboard.configuration import DashboardSettings
from clickstream.settings import CommonSettings


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


@click.group()
def db() -> None:
    """Warehouse database administration."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply the warehouse migrations not yet applied; running it again changes nothing.

    With CREATEROLE it also makes each part's role and lets each database admit only its own:
    the warehouse the ETL and dashboard roles, the shop database (CLICKSTREAM_SHOP_DB_URL, when
    set and its user owns it) the shop role.

    Example: CLICKSTREAM_WAREHOUSE_URL=postgresql://etl@db/warehouse clickstream db migrate
    """
    from clickstream.runtime.databases import secure_shop_database
    from clickstream.warehouse.migrate import migrate

    settings = resolve_settings(CommonSettings, "migrate")

    def work(url: str) -> None:
        applied = migrate(url)
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "none (up to date)"
        click.echo(f"applied: {names}")

    with_warehouse(settings, work, role="admin")
    if settings.shop_db_url is not None:
        shop_url = settings.shop_db_url.get_secret_value()
        if secure_shop_database(shop_url):
            click.echo("shop database: only the shop role may connect")
        else:
            click.echo("shop database: left as it is (its user does not own it)")
