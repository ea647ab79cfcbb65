"""`clickstream etl ...`: run, backfill, rebuild, pause, resume, history and schedule."""

from __future__ import annotations

import signal
import threading
from types import FrameType
from typing import Any

import click

from clickstream.cli.common import EXIT_USAGE, fail, resolve_settings, with_warehouse
from clickstream.etl.configuration import EtlSettings
from clickstream.ops.configuration import OpsSettings
from clickstream.scheduler.configuration import SchedulerSettings


@click.group()
def etl() -> None:
    """The batch ETL from the lake into the warehouse."""


def alarm_channels_or_exit(settings: OpsSettings) -> None:
    """Exit 2 when CLICKSTREAM_ALERT_URLS holds a URL no channel understands."""
    from clickstream.ops.channels import AlertUrlInvalid, configured_channels

    try:
        configured_channels(settings)
    except AlertUrlInvalid as exc:
        fail(str(exc), EXIT_USAGE)


@etl.command("run")
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default=None,
    help="The engine of this run (default: CLICKSTREAM_ETL_ENGINE, else duckdb).",
)
def etl_run(engine: str | None) -> None:
    """Load every lake file not yet loaded, now; prints the run's ledger, then checks alarms.

    Safe to run at any time: a concurrent run makes this one a no-op.
    Example: clickstream etl run --engine spark
    """
    from dataclasses import replace

    from clickstream.etl.run import EtlOptions, EtlRunFailed, run_etl
    from clickstream.lake import open_lake
    from clickstream.ops.watch import safe_check

    settings = resolve_settings(SchedulerSettings, "etl")
    alarm_channels_or_exit(settings)

    def work(url: str) -> None:
        try:
            result = run_etl(
                url,
                open_lake(settings.lake_location),
                trigger="manual",
                options=replace(
                    EtlOptions.from_settings(settings), engine=engine or settings.etl_engine
                ),
            )
        except EtlRunFailed as exc:
            safe_check(url, settings)
            fail(str(exc))
        safe_check(url, settings)
        click.echo(result.summary())

    with_warehouse(settings, work)


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

    settings = resolve_settings(EtlSettings, "etl")

    def work(url: str) -> None:
        try:
            result = backfill(url, first.date(), last.date())
        except DateRangeInvalid as exc:
            fail(str(exc), EXIT_USAGE)
        except EtlRunFailed as exc:
            fail(str(exc))
        click.echo(f"run {result.run_id}: {result.status}; days_derived={result.days_derived}")

    with_warehouse(settings, work)


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

    settings = resolve_settings(EtlSettings, "etl")
    if not yes:
        click.confirm(
            "Empty the warehouse's events and derived tables and reload the lake?", abort=True
        )

    def work(url: str) -> None:
        try:
            result = rebuild(
                url,
                open_lake(settings.lake_location),
                options=EtlOptions.from_settings(settings),
            )
        except EtlRunFailed as exc:
            fail(str(exc))
        click.echo(result.summary())

    with_warehouse(settings, work)


@etl.command("pause")
@click.option("--reason", default=None, help="Why, shown in `etl history` and logs.")
def etl_pause(reason: str | None) -> None:
    """Pause scheduled runs on every scheduler of this warehouse (manual runs still work).

    Example: clickstream etl pause --reason 'warehouse maintenance'
    """
    from clickstream.scheduler.state import set_paused

    settings = resolve_settings(EtlSettings, "etl")
    with_warehouse(settings, lambda url: click.echo(_state_line(set_paused(url, True, reason))))


@etl.command("resume")
def etl_resume() -> None:
    """Resume scheduled runs.

    Example: clickstream etl resume
    """
    from clickstream.scheduler.state import set_paused

    settings = resolve_settings(EtlSettings, "etl")
    with_warehouse(settings, lambda url: click.echo(_state_line(set_paused(url, False))))


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

    from clickstream.scheduler.state import read_state
    from clickstream.warehouse.ledger import history

    settings = resolve_settings(EtlSettings, "etl")

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

    with_warehouse(settings, work)


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

    settings = resolve_settings(SchedulerSettings, "scheduler")
    try:
        schedule = parse(settings.etl_schedule)
    except ScheduleExpressionInvalid as exc:
        fail(f"CLICKSTREAM_ETL_SCHEDULE: {exc}", EXIT_USAGE)
    alarm_channels_or_exit(settings)
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

    with_warehouse(settings, work)
