"""`clickstream etl schedule` as a process: a run at start, on after a failure, SIGUSR1 at once.

The schedule is `rate(1 hour)`, so within the test every run but the first comes from a signal.
`clickstream status` is asked while the last run is a failed one: it must exit 1 and say why.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from clickstream.lake import open_lake
from tests.conftest import free_port
from tests.etl.lakefiles import HOUR, put, record


def _runs(url: str) -> list[tuple[str, str, int]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT trigger, status, coalesce(loaded, 0) FROM etl_runs ORDER BY run_id"
        ).fetchall()
    return [(str(r[0]), str(r[1]), int(r[2])) for r in rows]


def _wait_for_runs(url: str, count: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while len([r for r in _runs(url) if r[1] != "running"]) < count:
        assert process.poll() is None, "the scheduler exited"
        assert time.monotonic() < deadline, f"no {count} finished runs: {_runs(url)}"
        time.sleep(0.1)


def _rename(url: str, old: str, new: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"ALTER TABLE {old} RENAME TO {new}")


# a process's loop, not SQL: one kind of PostgreSQL server is enough
@pytest.mark.parametrize("pg_admin_url", ["embedded"], indirect=True)
def test_schedule_runs_at_start_goes_on_after_a_failure_and_runs_at_once_on_sigusr1(
    warehouse_url: str, lake_dir: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env.update(
        CLICKSTREAM_DATA_DIR=str(tmp_path / "data"),
        CLICKSTREAM_WAREHOUSE_URL=warehouse_url,
        CLICKSTREAM_LAKE_URL=str(lake_dir),
        CLICKSTREAM_ETL_SCHEDULE="rate(1 hour)",
        CLICKSTREAM_ETL_RUN_AT_START="true",
        CLICKSTREAM_ALARM_INTERVAL_SECONDS="3600",
        CLICKSTREAM_INGEST_PORT=str(free_port()),  # nothing listens: status says so
        CLICKSTREAM_DASHBOARD_PORT=str(free_port()),
        CLICKSTREAM_LOG_LEVEL="warning",
    )
    put(open_lake(str(lake_dir)), HOUR, [record(), record()])
    _rename(warehouse_url, "lake_manifest", "lake_manifest_away")  # the first run fails
    process = subprocess.Popen(
        [sys.executable, "-m", "clickstream", "etl", "schedule"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_runs(warehouse_url, 1, process)
        _rename(warehouse_url, "lake_manifest_away", "lake_manifest")
        status = subprocess.run(  # the last run is still the failed one
            [sys.executable, "-m", "clickstream", "status"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        process.send_signal(signal.SIGUSR1)  # run now, not in an hour
        _wait_for_runs(warehouse_url, 2, process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert _runs(warehouse_url) == [("start", "failed", 0), ("on_demand", "succeeded", 2)]
    assert status.returncode == 1, status.stdout
    assert "ATTENTION: " in status.stdout and "last ETL run 1 failed" in status.stdout
    assert "lake_manifest" in status.stdout
