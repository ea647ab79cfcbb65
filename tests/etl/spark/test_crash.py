"""A Spark run killed in the middle of its move leaves nothing half-loaded; the next completes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest

from clickstream.etl.run import EtlOptions, run_etl
from clickstream.lake import open_lake
from tests.etl.spark.crash_runner import CRASH_EXIT
from tests.etl.spark.test_parity import differences, first_lake
from tests.etl.test_crash_safety import _wait_for_lock_release

REPO = Path(__file__).resolve().parents[3]
LOADED_TABLES = ("clickstream_events", "event_ids", "lake_manifest", "etl_quarantine", "sessions")


def _rows(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0])  # type: ignore[index]
            for t in LOADED_TABLES
        }


@pytest.mark.timeout(400)
@pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True)
def test_spark_run_killed_before_its_commit_leaves_nothing_and_the_next_run_loads_all(
    spark: Any, pg_admin_url: str, lake_dir: Path, warehouse_url: str, other_warehouse_url: str
) -> None:
    first_lake(open_lake(str(lake_dir)))
    crashed = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.etl.spark.crash_runner",
            warehouse_url,
            str(lake_dir),
            "before_commit",
        ],
        cwd=REPO,
        capture_output=True,
        timeout=300,
        check=False,
    )
    assert crashed.returncode == CRASH_EXIT, crashed.stderr.decode()[-3000:]
    _wait_for_lock_release(warehouse_url)
    assert _rows(warehouse_url) == dict.fromkeys(LOADED_TABLES, 0)
    with psycopg.connect(warehouse_url) as conn:
        staged = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'etl\\_stage\\_%'"
        ).fetchone()
    assert staged is not None and staged[0] == 4  # the dead run's staging tables, unmoved

    done = run_etl(warehouse_url, open_lake(str(lake_dir)), options=EtlOptions(engine="spark"))
    reference = run_etl(
        other_warehouse_url, open_lake(str(lake_dir)), options=EtlOptions(engine="duckdb")
    )
    assert done.status == "succeeded" and done.loaded == reference.loaded > 0
    with psycopg.connect(warehouse_url) as conn:
        runs = conn.execute("SELECT run_id, status FROM etl_runs ORDER BY run_id").fetchall()
        staged = conn.execute(
            "SELECT count(*) FROM pg_class WHERE relname LIKE 'etl\\_stage\\_%'"
        ).fetchone()
    assert runs == [(1, "failed"), (2, "succeeded")]
    assert staged is not None and staged[0] == 0
    # Apart from the ledger's extra (failed) run, the run ids and the quarantine ids the
    # rolled-back move drew (sequences are not transactional), the warehouse is what one clean
    # load makes.
    skip = frozenset({"etl_runs", "run_id", "etl_run_id", "kept_version", "quarantine_id"})
    assert differences(warehouse_url, other_warehouse_url, skip) == {}
