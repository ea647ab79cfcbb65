"""`clickstream up --demo`: demo traffic through the real ingest API, loaded, then announced.

"Clickstream is up." comes first; this module says when the demo data is in the warehouse and
so visible on the dashboard (or why it is not).
"""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from datetime import datetime

import psycopg
import structlog

from clickstream import utc
from clickstream.ops.ingest_probe import scrape

log = structlog.get_logger("clickstream.up")
DEMO_ARGS = ("--visitors", "300", "--days", "7")
DEMO_SHIP_WAIT_SECONDS = 60.0
DEMO_LOAD_WAIT_SECONDS = 600.0
_LOAD_RUN_SQL = """
SELECT status, loaded, error FROM etl_runs
WHERE trigger = 'on_demand' AND started_at >= %s ORDER BY run_id DESC LIMIT 1
"""


def _announce(text: str) -> None:
    print(f"\n{text}\n", file=sys.stderr, flush=True)


def _wait_until_shipped(metrics_url: str, stop: threading.Event) -> None:
    # Acknowledged means spooled: wait until the ingest API has shipped it to the lake.
    deadline = time.monotonic() + DEMO_SHIP_WAIT_SECONDS
    while not stop.is_set() and time.monotonic() < deadline:
        sample = scrape([metrics_url])
        if sample is not None and sample.spool_bytes == 0:
            return
        stop.wait(0.5)


def _wait_for_load(
    warehouse_url: str, since: datetime, stop: threading.Event
) -> tuple[str, int, str | None] | None:
    """The (status, loaded, error) of the on-demand ETL run started after `since`, once done."""
    deadline = time.monotonic() + DEMO_LOAD_WAIT_SECONDS
    while not stop.is_set() and time.monotonic() < deadline:
        with psycopg.connect(warehouse_url, connect_timeout=5) as conn:
            row = conn.execute(_LOAD_RUN_SQL, (since,)).fetchone()
        if row is not None and row[0] != "running":
            return str(row[0]), int(row[1] or 0), row[2]
        stop.wait(0.5)
    return None


def seed_demo(
    env: dict[str, str],
    scheduler: subprocess.Popen[bytes],
    stop: threading.Event,
    metrics_url: str,
    warehouse_url: str,
    dashboard_url: str,
) -> None:
    """Send demo traffic, wake the scheduler to load it, and say when it is visible."""
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "clickstream", "demo", "traffic", *DEMO_ARGS],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        log.error("demo_traffic_failed", code=result.returncode, stderr=result.stderr[-2000:])
        _announce("Demo data could not be sent; see the demo_traffic_failed log line.")
        return
    log.info("demo_traffic_sent", summary=result.stdout.strip(), seconds=time.monotonic() - started)
    _wait_until_shipped(metrics_url, stop)
    if stop.is_set() or scheduler.poll() is not None:
        return
    woken = utc.now()
    scheduler.send_signal(signal.SIGUSR1)
    outcome = _wait_for_load(warehouse_url, woken, stop)
    if outcome is None:
        if not stop.is_set():
            log.error("demo_load_timed_out", seconds=DEMO_LOAD_WAIT_SECONDS)
            _announce("Demo data was sent but not loaded in time; run: clickstream etl run")
        return
    status, loaded, error = outcome
    if status != "succeeded":
        log.error("demo_load_failed", status=status, error=error)
        _announce(f"Demo data was sent but its ETL run {status}: {error}")
        return
    log.info("demo_data_loaded", events=loaded, seconds=time.monotonic() - started)
    _announce(f"Demo data loaded: {loaded} events, visible now at {dashboard_url}/")
