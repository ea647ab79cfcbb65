"""`clickstream status`: one screen on ingest, lake, warehouse and the last ETL run."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

import psycopg

from clickstream import utc
from clickstream.lake import open_lake
from clickstream.ops.incidents import open_alarms
from clickstream.ops.ingest_probe import IngestSample, scrape
from clickstream.ops.status_urls import (
    DatabaseSettings,
    cors_problem,
    database_lines,
    shop_database_url,
)
from clickstream.warehouse.manifest import pending_files
from clickstream.warehouse.reconciliation import describe, reconcile_period

# Orders are compared with purchase events over this span, ending this long ago (the ETL runs
# hourly: an order of the last hour may not have been loaded yet).
ORDERS_SPAN = timedelta(days=7)
ORDERS_SETTLED = timedelta(hours=2)
LAST_RUN_SQL = """
SELECT run_id, status, started_at, finished_at, files, received, loaded, duplicates,
       conflicts, rejected, late, error
FROM etl_runs ORDER BY run_id DESC LIMIT 1
"""


@dataclass
class StatusReport:
    """What `status` found; `problems` empty means healthy."""

    ingest: str
    dashboard: str
    lake: str
    pending_files: int | None
    events: int | None
    last_run: dict[str, Any] | None
    spool: IngestSample | None = None
    alarms: list[tuple[str, str]] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)
    orders: str = "not compared"
    problems: list[str] = field(default_factory=list)

    @property
    def healthy(self) -> bool:
        """True when nothing needs attention."""
        return not self.problems


def _probe(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return f"up ({response.status})"
    except OSError as exc:
        return f"down ({type(exc).__name__})"


class StatusSettings(DatabaseSettings, Protocol):
    """What `status` reads from the composed settings: where each part answers."""

    @property
    def ingest_local_url(self) -> str: ...
    @property
    def dashboard_local_url(self) -> str: ...
    @property
    def lake_location(self) -> str: ...


def collect_status(settings: StatusSettings, warehouse_url: str) -> StatusReport:
    """Probe every part and read the warehouse's last run."""
    report = StatusReport(
        ingest=_probe(f"{settings.ingest_local_url}/healthz"),
        dashboard=_probe(f"{settings.dashboard_local_url}/"),
        lake=settings.lake_location,
        pending_files=None,
        events=None,
        last_run=None,
        spool=scrape([f"{settings.ingest_local_url}/metrics"]),
        databases=database_lines(settings, warehouse_url),
    )
    refused = cors_problem(f"{settings.ingest_local_url}/metrics")
    if refused is not None:
        report.problems.append(refused)
    for part in ("ingest", "dashboard"):
        if getattr(report, part).startswith("down"):
            report.problems.append(f"{part} is not answering")
    try:
        _read_warehouse(report, settings, warehouse_url)
    except psycopg.errors.UndefinedTable as exc:
        missing = exc.diag.message_primary or str(exc)
        report.problems.append(f"warehouse not migrated ({missing}): run clickstream db migrate")
    return report


def _read_warehouse(report: StatusReport, settings: StatusSettings, warehouse_url: str) -> None:
    """The last run, open alarms, stored events, pending files and orders, into `report`."""
    with psycopg.connect(warehouse_url, connect_timeout=5) as conn:
        cur = conn.execute(LAST_RUN_SQL)
        row = cur.fetchone()
        if row is not None:
            report.last_run = dict(zip([d.name for d in cur.description or []], row, strict=True))
            if row[1] == "failed":
                report.problems.append(f"last ETL run {row[0]} failed: {row[-1]}")
        report.alarms = open_alarms(conn)
        report.problems.extend(
            f"alarm {name}: {summary}"
            for name, summary in report.alarms
            if name != "etl_run_failed"  # a failed last run is reported above
        )
        counted = conn.execute("SELECT count(*) FROM event_ids").fetchone()
        report.events = int(counted[0]) if counted else 0
        try:
            report.pending_files = len(pending_files(conn, open_lake(settings.lake_location)))
        except OSError as exc:
            report.problems.append(f"lake unreachable: {exc}")
        report.orders = _orders_line(conn, shop_database_url(settings, warehouse_url))


def _orders_line(conn: psycopg.Connection, shop_url: str | None) -> str:
    """The shop's orders of the last days against the purchase events, in one line."""
    if shop_url is None:
        return "not compared (set CLICKSTREAM_SHOP_DB_URL)"
    end = utc.now() - ORDERS_SETTLED
    try:
        found = reconcile_period(conn, shop_url, end - ORDERS_SPAN, end)
    except psycopg.Error as exc:
        return f"not compared (shop database: {type(exc).__name__})"
    return f"{describe(found)} (7 days to 2 h ago)"


def render_status(report: StatusReport) -> str:
    """The report as a short text screen."""
    run = report.last_run
    run_line = "none yet"
    if run:
        run_line = (
            f"#{run['run_id']} {run['status']} at {run['started_at']:%Y-%m-%d %H:%M:%S}Z: "
            f"files={run['files']} received={run['received']} loaded={run['loaded']} "
            f"duplicates={run['duplicates']} conflicts={run['conflicts']} "
            f"rejected={run['rejected']} late={run['late']}"
        )
    spool = "unknown (metrics not reachable)"
    if report.spool is not None:
        spool = (
            f"{report.spool.spool_bytes / 2**20:.1f} MiB waiting, oldest unshipped "
            f"{report.spool.ship_lag_seconds:.0f} s"
        )
    lines = [
        f"ingest     {report.ingest}",
        f"spool      {spool}",
        f"dashboard  {report.dashboard}",
        f"lake       {report.lake} ({report.pending_files} files waiting for the ETL)",
        f"warehouse  {report.events} events",
        *report.databases,
        f"orders     {report.orders}",
        f"last run   {run_line}",
        "alarms     " + ("; ".join(f"{n}: {s}" for n, s in report.alarms) or "none open"),
        "status     " + ("ok" if report.healthy else "ATTENTION: " + "; ".join(report.problems)),
    ]
    return "\n".join(lines)
