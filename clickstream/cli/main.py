"""The `clickstream` command: a thin layer of click over the library."""

from __future__ import annotations

import sys

import click

from clickstream.cli.api_tokens_commands import api_tokens
from clickstream.cli.common import fail, resolve_settings, with_warehouse
from clickstream.cli.dashboard_commands import dashboard
from clickstream.cli.db_commands import db
from clickstream.cli.deploy_commands import deploy
from clickstream.cli.etl_commands import etl
from clickstream.cli.funnels_commands import funnels
from clickstream.cli.goals_commands import goals
from clickstream.cli.ingest_commands import ingest
from clickstream.cli.ops_commands import ops
from clickstream.cli.shop_commands import demo, shop
from clickstream.cli.sites_commands import sites
from clickstream.cli.users_commands import users
from clickstream.runtime.configuration import PlatformSettings, all_variables


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="clickstream")
def cli() -> None:
    """Self-hosted batch clickstream analytics: ingest -> lake -> ETL -> warehouse -> dashboards.

    Every setting is a CLICKSTREAM_* environment variable (or a line in .env); see
    `clickstream settings`. Example: `clickstream up`
    """


@cli.command()
@click.option("--demo", is_flag=True, help="Also fill the shop's traffic: 300 visitors, 7 days.")
def up(demo: bool) -> None:
    """Run everything: ingest, the ETL scheduler and the dashboard, on embedded defaults.

    With no CLICKSTREAM_WAREHOUSE_URL / CLICKSTREAM_SHOP_DB_URL set, a PostgreSQL from a pip
    wheel starts with its data under CLICKSTREAM_DATA_DIR. Ctrl-C stops every part.

    With --demo, demo traffic goes through the ingest API once everything is up and is
    loaded at once, so every dashboard page has data within a minute.

    Example: CLICKSTREAM_DATA_DIR=/tmp/cs clickstream up --demo
    """
    from clickstream.runtime.postgres import EmbeddedPostgresError
    from clickstream.runtime.supervisor import AlreadyRunning, run_platform

    settings = resolve_settings(PlatformSettings, "up")
    try:
        sys.exit(run_platform(settings, demo=demo))
    except (AlreadyRunning, EmbeddedPostgresError) as exc:
        fail(str(exc))


@cli.command("settings")
def show_settings() -> None:
    """List every CLICKSTREAM_* variable with its help text.

    Example: clickstream settings
    """
    for name, help_text in all_variables().items():
        click.echo(f"{name}\n    {help_text}")


@cli.command()
def status() -> None:
    """Show the warehouse, the lake and the last ETL run; exit 1 when something is wrong.

    Example: clickstream status || echo 'needs attention'
    """
    from clickstream.ops.status import collect_status, render_status

    settings = resolve_settings(PlatformSettings, "status")
    healthy = True

    def work(url: str) -> None:
        nonlocal healthy
        report = collect_status(settings, url)
        click.echo(render_status(report))
        healthy = report.healthy

    with_warehouse(settings, work)
    sys.exit(0 if healthy else 1)


for group in (ingest, etl, dashboard, db, ops, shop, demo):
    cli.add_command(group)
cli.add_command(sites)
cli.add_command(users)
cli.add_command(deploy)
cli.add_command(goals)
cli.add_command(api_tokens)
cli.add_command(funnels)


def main() -> None:
    """Entry point of the `clickstream` command."""
    cli()
