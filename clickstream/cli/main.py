"""The `clickstream` command: a thin layer of click over the library."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any, TypeVar

import click

from clickstream import settings as config
from clickstream.ops.logging import configure_logging

S = TypeVar("S", bound=config.CommonSettings)
EXIT_USAGE = 2


def _settings(cls: type[S], component: str, **overrides: Any) -> S:
    """Resolve settings or exit 2 with a message naming the bad variable."""
    try:
        resolved = config.load(cls, **overrides)
    except config.SettingsInvalid as exc:
        click.echo(f"clickstream: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    configure_logging(resolved.log_level, component=component)
    return resolved


def _fail(message: str, code: int = 1) -> None:
    click.echo(f"clickstream: {message}", err=True)
    sys.exit(code)


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

    settings = _settings(config.PlatformSettings, "up")
    try:
        sys.exit(run_platform(settings, demo=demo))
    except (AlreadyRunning, EmbeddedPostgresError) as exc:
        _fail(str(exc))


@cli.command("settings")
def show_settings() -> None:
    """List every CLICKSTREAM_* variable with its help text.

    Example: clickstream settings
    """
    for name, help_text in config.all_variables().items():
        click.echo(f"{name}\n    {help_text}")


@cli.group()
def ingest() -> None:
    """The ingest API (POST /clickstream)."""


@ingest.command("serve")
@click.option("--host", default=None, help="Listen address (CLICKSTREAM_INGEST_HOST).")
@click.option("--port", type=int, default=None, help="Listen port (CLICKSTREAM_INGEST_PORT).")
def ingest_serve(host: str | None, port: int | None) -> None:
    """Serve POST /clickstream, writing enriched events to the lake.

    Example: clickstream ingest serve --port 8080
    """
    import uvicorn

    from clickstream.ingest.http.app import build_app

    settings = _settings(config.IngestSettings, "ingest", ingest_host=host, ingest_port=port)
    uvicorn.run(
        build_app(settings),
        host=settings.ingest_host,
        port=settings.ingest_port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
        proxy_headers=False,  # the app judges X-Forwarded-For (CLICKSTREAM_INGEST_TRUSTED_PROXIES)
    )


@cli.group()
def etl() -> None:
    """The batch ETL from the lake into the warehouse."""


def _with_warehouse(
    settings: config.CommonSettings, work: Callable[[str], None], role: str = "etl"
) -> None:
    """Call `work` with the warehouse URL for `role` (etl, dashboard or admin)."""
    from clickstream.runtime.databases import database_urls, needs_embedded
    from clickstream.runtime.postgres import EmbeddedPostgresError
    from clickstream.warehouse.migrate import migrate

    try:
        with database_urls(settings, shop=False) as urls:
            if needs_embedded(settings, shop=False) and role != "admin":
                migrate(urls.admin)
            work(getattr(urls, role))
    except EmbeddedPostgresError as exc:
        _fail(str(exc))


def _alarm_channels_or_exit(settings: config.OpsSettings) -> None:
    from clickstream.ops.channels import AlertUrlInvalid, configured_channels

    try:
        configured_channels(settings)
    except AlertUrlInvalid as exc:
        _fail(str(exc), EXIT_USAGE)


@etl.command("run")
def etl_run() -> None:
    """Load every lake file not yet loaded, now; prints the run's ledger, then checks alarms.

    Safe to run at any time: a concurrent run makes this one a no-op.
    Example: clickstream etl run
    """
    from clickstream.etl.run import EtlOptions, EtlRunFailed, run_etl
    from clickstream.lake import open_lake
    from clickstream.ops.watch import safe_check

    settings = _settings(config.SchedulerSettings, "etl")
    _alarm_channels_or_exit(settings)

    def work(url: str) -> None:
        try:
            result = run_etl(
                url,
                open_lake(settings.lake_location),
                trigger="manual",
                options=EtlOptions.from_settings(settings),
            )
        except EtlRunFailed as exc:
            safe_check(url, settings)
            _fail(str(exc))
            return
        safe_check(url, settings)
        click.echo(result.summary())

    _with_warehouse(settings, work)


@etl.command("backfill")
@click.option(
    "--from", "first", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First UTC day."
)
@click.option(
    "--to", "last", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last UTC day."
)
def etl_backfill(first: Any, last: Any) -> None:
    """Re-derive sessions and roll-ups for the days FROM..TO (inclusive) from loaded events.

    Example: clickstream etl backfill --from 2026-11-01 --to 2026-11-30
    """
    from clickstream.etl.backfill import DateRangeInvalid, backfill
    from clickstream.etl.run import EtlRunFailed

    settings = _settings(config.EtlSettings, "etl")

    def work(url: str) -> None:
        try:
            result = backfill(url, first.date(), last.date())
        except DateRangeInvalid as exc:
            _fail(str(exc), EXIT_USAGE)
            return
        except EtlRunFailed as exc:
            _fail(str(exc))
            return
        click.echo(f"run {result.run_id}: {result.status}; days_derived={result.days_derived}")

    _with_warehouse(settings, work)


@etl.command("rebuild")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def etl_rebuild(yes: bool) -> None:
    """Empty the loaded and derived tables and load the whole lake again.

    The lake is the source of truth; run history is kept.
    Example: clickstream etl rebuild --yes
    """
    from clickstream.etl.rebuild import rebuild
    from clickstream.etl.run import EtlOptions, EtlRunFailed
    from clickstream.lake import open_lake

    settings = _settings(config.EtlSettings, "etl")
    if not yes:
        click.confirm(
            "Empty the warehouse's events and derived tables and reload the lake?", abort=True
        )

    def work(url: str) -> None:
        try:
            result = rebuild(
                url, open_lake(settings.lake_location), options=EtlOptions.from_settings(settings)
            )
        except EtlRunFailed as exc:
            _fail(str(exc))
            return
        click.echo(result.summary())

    _with_warehouse(settings, work)


@etl.command("pause")
@click.option("--reason", default=None, help="Why, shown in `etl history` and logs.")
def etl_pause(reason: str | None) -> None:
    """Pause scheduled runs on every scheduler of this warehouse (manual runs still work).

    Example: clickstream etl pause --reason 'warehouse maintenance'
    """
    from clickstream.scheduler.state import set_paused

    settings = _settings(config.EtlSettings, "etl")
    _with_warehouse(settings, lambda url: click.echo(_state_line(set_paused(url, True, reason))))


@etl.command("resume")
def etl_resume() -> None:
    """Resume scheduled runs.

    Example: clickstream etl resume
    """
    from clickstream.scheduler.state import set_paused

    settings = _settings(config.EtlSettings, "etl")
    _with_warehouse(settings, lambda url: click.echo(_state_line(set_paused(url, False))))


def _state_line(state: Any) -> str:
    if state.paused:
        return f"scheduler paused since {state.changed_at}" + (
            f": {state.reason}" if state.reason else ""
        )
    return "scheduler running"


@etl.command("history")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 10000))
def etl_history(limit: int) -> None:
    """Show the latest ETL runs with their ledgers, newest first, and the pause state.

    Example: clickstream etl history --limit 5
    """
    import psycopg

    from clickstream.etl.ledger import history
    from clickstream.scheduler.state import read_state

    settings = _settings(config.EtlSettings, "etl")

    def work(url: str) -> None:
        click.echo(_state_line(read_state(url)))
        with psycopg.connect(url) as conn:
            runs = history(conn, limit)
        click.echo(
            f"{'run':>6} {'trigger':<9} {'status':<10} {'started (UTC)':<19} {'files':>6} "
            f"{'received':>9} {'loaded':>9} {'dups':>6} {'confl':>6} {'rej':>6} {'late':>6} "
            f"{'days':>5}"
        )
        for run in runs:
            started = run["started_at"]
            click.echo(
                f"{run['run_id']:>6} {run['trigger']:<9} {run['status']:<10} "
                f"{started:%Y-%m-%d %H:%M:%S} {run['files']:>6} {run['received']:>9} "
                f"{run['loaded']:>9} {run['duplicates']:>6} {run['conflicts']:>6} "
                f"{run['rejected']:>6} {run['late']:>6} {run['days_derived']:>5}"
                + (f"  error: {run['error']}" if run["error"] else "")
            )

    _with_warehouse(settings, work)


@etl.command("schedule")
def etl_schedule() -> None:
    """Run the ETL on CLICKSTREAM_ETL_SCHEDULE until stopped; SIGUSR1 runs it at once.

    Accepts EventBridge expressions. `etl pause` / `etl resume` switch scheduled runs off and on
    for every scheduler of the warehouse. Alarms are evaluated after each run and every
    CLICKSTREAM_ALARM_INTERVAL_SECONDS. Example:
    CLICKSTREAM_ETL_SCHEDULE='cron(5 * * * ? *)' clickstream etl schedule
    """
    from clickstream.etl.run import EtlOptions, run_etl
    from clickstream.lake import open_lake
    from clickstream.ops.retention import expire_lake
    from clickstream.ops.watch import ingest_probe, safe_check, watch_forever
    from clickstream.scheduler.expressions import ScheduleExpressionInvalid, parse
    from clickstream.scheduler.jobs import scheduled_etl
    from clickstream.scheduler.loop import run_forever

    settings = _settings(config.SchedulerSettings, "scheduler")
    try:
        schedule = parse(settings.etl_schedule)
    except ScheduleExpressionInvalid as exc:
        _fail(f"CLICKSTREAM_ETL_SCHEDULE: {exc}", EXIT_USAGE)
        return
    _alarm_channels_or_exit(settings)
    stop, wake = threading.Event(), threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        (wake if signum == signal.SIGUSR1 else stop).set()

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
        signal.signal(signum, on_signal)
    lake = open_lake(settings.lake_location)
    options = EtlOptions.from_settings(settings)

    def work(url: str) -> None:
        etl_job = scheduled_etl(url, lambda trigger: run_etl(url, lake, trigger, options))

        def job(trigger: str) -> None:
            try:
                etl_job(trigger)
                if settings.lake_retention_days:
                    expire_lake(lake, url, settings.lake_retention_days)
            finally:
                safe_check(url, settings)

        # Only the timer reads the ingest metrics, so its rates cover one alarm interval.
        probe = ingest_probe(settings)
        watcher = threading.Thread(
            target=watch_forever, args=(url, settings, stop, probe), name="alarms", daemon=True
        )
        watcher.start()
        run_forever(schedule, job, stop, run_at_start=settings.etl_run_at_start, wake=wake)
        watcher.join(timeout=5)

    _with_warehouse(settings, work)


@cli.group()
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

    settings = _settings(
        config.DashboardSettings, "dashboard", dashboard_host=host, dashboard_port=port
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

    _with_warehouse(settings, work, role="dashboard")


@cli.group()
def db() -> None:
    """Warehouse database administration."""


@db.command("migrate")
def db_migrate() -> None:
    """Apply the warehouse migrations not yet applied; running it again changes nothing.

    Example: CLICKSTREAM_WAREHOUSE_URL=postgresql://etl@db/warehouse clickstream db migrate
    """
    from clickstream.warehouse.migrate import migrate

    settings = _settings(config.CommonSettings, "migrate")

    def work(url: str) -> None:
        applied = migrate(url)
        names = ", ".join(f"{m.version:04d}_{m.name}" for m in applied) or "none (up to date)"
        click.echo(f"applied: {names}")

    _with_warehouse(settings, work, role="admin")


@cli.command()
def status() -> None:
    """Show the warehouse, the lake and the last ETL run; exit 1 when something is wrong.

    Example: clickstream status || echo 'needs attention'
    """
    from clickstream.ops.status import collect_status, render_status

    settings = _settings(config.PlatformSettings, "status")
    healthy = True

    def work(url: str) -> None:
        nonlocal healthy
        report = collect_status(settings, url)
        click.echo(render_status(report))
        healthy = report.healthy

    _with_warehouse(settings, work)
    sys.exit(0 if healthy else 1)


def _register_ops_commands() -> None:
    from clickstream.cli.ops_commands import ops

    cli.add_command(ops)


_register_ops_commands()


def _register_shop_commands() -> None:
    from clickstream.cli.shop_commands import demo, shop

    cli.add_command(shop)
    cli.add_command(demo)


_register_shop_commands()


def main() -> None:
    """Entry point of the `clickstream` command."""
    cli()
