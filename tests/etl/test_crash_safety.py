"""Kill the ETL process at each step, run again: the warehouse equals an uninterrupted load,
and the rerun removes the scratch folder the killed run left."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from clickstream.etl.run import ETL_LOCK_KEY, EtlOptions, run_etl
from clickstream.lake import open_lake
from tests.etl.crash_runner import CRASH_EXIT
from tests.etl.lakefiles import HOUR, put, record, snapshot

REPO = Path(__file__).resolve().parents[2]


def _fill(lake_dir: Path) -> None:
    lake = open_lake(str(lake_dir))
    shared = record("page_view", HOUR, session_id="s-2")
    for seq in range(1, 6):
        hour = HOUR + timedelta(hours=seq * 7)
        lines: list[object] = [
            record("page_view", hour, session_id=f"s-{seq}"),
            record("product_view", hour, session_id=f"s-{seq}", product={"id": "p1"}),
            "{torn",
        ]
        if seq in (2, 4):
            lines.append(shared)  # the same event shipped twice: a duplicate
        put(lake, hour, lines, seq=seq)


def _wait_for_lock_release(url: str) -> None:
    """The killed process's server backend lets go of the ETL lock once it sees the socket close."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '60s'")
        conn.execute("SELECT pg_advisory_lock(%s)", (ETL_LOCK_KEY,))
        conn.execute("SELECT pg_advisory_unlock(%s)", (ETL_LOCK_KEY,))


@pytest.mark.parametrize(
    "step", ["extracted", "transformed", "mid_load", "before_commit", "committed", "derived"]
)
def test_killed_run_then_rerun_leaves_the_same_warehouse_as_an_uninterrupted_run(
    step: str, lake_dir: Path, warehouse_url: str, other_warehouse_url: str, tmp_path: Path
) -> None:
    _fill(lake_dir)
    scratch = tmp_path / "scratch"  # the killed run's temporary folder (TMPDIR)
    scratch.mkdir()
    crashed = subprocess.run(
        [sys.executable, "-m", "tests.etl.crash_runner", warehouse_url, str(lake_dir), step],
        cwd=REPO,
        capture_output=True,
        timeout=120,
        check=False,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    assert crashed.returncode == CRASH_EXIT, crashed.stderr.decode()[-2000:]
    _wait_for_lock_release(warehouse_url)
    assert len(list(scratch.glob("clickstream-etl-*"))) == 1

    options = EtlOptions(batch_files=2, work_dir=scratch)
    rerun = run_etl(warehouse_url, open_lake(str(lake_dir)), options=options)
    assert list(scratch.iterdir()) == []
    run_etl(other_warehouse_url, open_lake(str(lake_dir)), options=EtlOptions(batch_files=2))

    assert rerun.status == "succeeded"
    assert snapshot(warehouse_url) == snapshot(other_warehouse_url)
    with psycopg.connect(warehouse_url) as conn:
        runs = conn.execute("SELECT status, error FROM etl_runs ORDER BY run_id").fetchall()
        totals = conn.execute(
            "SELECT sum(received), sum(loaded), sum(duplicates), sum(rejected) FROM etl_runs"
        ).fetchone()
    assert runs[0][0] == "failed" and "abandoned" in runs[0][1]
    assert runs[1] == ("succeeded", None)
    # Across the killed run and the rerun, every line was counted exactly once.
    assert totals == (17, 11, 1, 5)
