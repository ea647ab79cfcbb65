"""The `clickstream` command: a thin layer of click over the library."""

from __future__ import annotations

import gc
import importlib
import sys

import click

from clickstream.cli.common import fail, resolve_settings, with_warehouse

# Each command group by its name: the module that defines it and its attribute there,
# imported only when a command line names it (or `--help` lists them all). Importing every
# group for every command cost `clickstream etl run` the modules and settings classes of the
# dashboard, ingest, shop, funnels and runtime parts it never uses (see `LazyGroup`).
GROUPS: dict[str, tuple[str, str]] = {
    "api-tokens": ("clickstream.cli.api_tokens_commands", "api_tokens"),
    "dashboard": ("clickstream.cli.dashboard_commands", "dashboard"),
    "db": ("clickstream.cli.db_commands", "db"),
    "demo": ("clickstream.cli.shop_commands", "demo"),
    "deploy": ("clickstream.cli.deploy_commands", "deploy"),
    "etl": ("clickstream.cli.etl_commands", "etl"),
    "funnels": ("clickstream.cli.funnels_commands", "funnels"),
    "goals": ("clickstream.cli.goals_commands", "goals"),
    "ingest": ("clickstream.cli.ingest_commands", "ingest"),
    "ops": ("clickstream.cli.ops_commands", "ops"),
    "shop": ("clickstream.cli.shop_commands", "shop"),
    "sites": ("clickstream.cli.sites_commands", "sites"),
    "users": ("clickstream.cli.users_commands", "users"),
}


def _group(name: str) -> click.Command:
    module, attribute = GROUPS[name]
    command = getattr(importlib.import_module(module), attribute)
    assert isinstance(command, click.Command)
    return command


class LazyGroup(click.Group):
    """A group whose subgroups in `GROUPS` are imported when first asked for, by name."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *GROUPS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in GROUPS:
            self.add_command(_group(cmd_name), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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
    from clickstream.runtime.configuration import PlatformSettings
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
    from clickstream.runtime.configuration import all_variables

    for name, help_text in all_variables().items():
        click.echo(f"{name}\n    {help_text}")


@cli.command()
def status() -> None:
    """Show the warehouse, the lake and the last ETL run; exit 1 when something is wrong.

    Example: clickstream status || echo 'needs attention'
    """
    from clickstream.ops.status import collect_status, render_status
    from clickstream.runtime.configuration import PlatformSettings

    settings = resolve_settings(PlatformSettings, "status")
    healthy = True

    def work(url: str) -> None:
        nonlocal healthy
        report = collect_status(settings, url)
        click.echo(render_status(report))
        healthy = report.healthy

    with_warehouse(settings, work)
    sys.exit(0 if healthy else 1)


def main() -> None:
    """Entry point of the `clickstream` command."""
    try:
        cli()
    finally:
        # The process ends here: spare the interpreter's last garbage collections, which
        # traverse every object of every module imported (pydantic's schemas, DuckDB, pyarrow):
        # 0.25 to 0.4 s from `main()` returning to the end of a `clickstream etl run` process,
        # 0.04 to 0.07 s with the objects frozen (two runs each). Nothing is skipped that cleans up:
        # atexit handlers and weakref finalizers still run, objects are still deallocated
        # as their modules are cleared; only cycles left at exit are not collected.
        gc.freeze()
