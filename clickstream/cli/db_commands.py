"""`clickstream db migrate`: the warehouse's migrations and each database's roles."""

from __future__ import annotations

import click

from clickstream.cli.common import resolve_settings, with_warehouse
from clickstream.settings import CommonSettings


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
