"""A Spark run killed in the middle of its move leaves nothing half-loaded; the next completes.

(Named to run after test_parity.py: the in-process recovery run then finds a warm JVM.)
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from clickstream.etl.run import EtlOptions, run_etl
from clickstream.lake import open_lake
from tests.etl.lakefiles import HOUR, put, record
from tests.etl.spark.crash_runner import CRASH_EXIT
from tests.etl.spark.test_parity import BAD_ITEMS, ITEMS, LANDINGS, differences
from tests.etl.test_crash_safety import _wait_for_lock_release

REPO = Path(__file__).resolve().parents[3]
LOADED_TABLES = (
    "clickstream_events",
    "event_ids",
    "event_items",
    "lake_manifest",
    "etl_quarantine",
    "sessions",
)
STAGED = "SELECT relname FROM pg_class WHERE relname LIKE 'etl\\_stage\\_%' ORDER BY relname"


def _staged(conn: psycopg.Connection) -> dict[str, int]:
    """Rows per staging table of the dead run, by its short name (`ids`, `events`...)."""
    found = {}
    for (name,) in conn.execute(STAGED).fetchall():
        row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name)))
        found[name.rsplit("_", 1)[1]] = int(row.fetchone()[0])  # type: ignore[index]
    return found


def crash_lake(lake_dir: Path) -> None:
    """One small file that puts rows in every staging table: events with items and a landing,
    a rejected line and a conflict (a cold JVM in a child process pays per file and stage)."""
    kept = record("purchase", HOUR, items=ITEMS, page_url=LANDINGS[0][0], request_id="r-1")
    clash = {**kept, "items": ITEMS[:1], "request_id": "r-2"}
    others = [record("page_view", HOUR, page_url=url, referrer=ref) for url, ref in LANDINGS[1:3]]
    put(open_lake(str(lake_dir)), HOUR, [kept, clash, *others, record(items=BAD_ITEMS[0])])


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
    crash_lake(lake_dir)
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
        staged = _staged(conn)
    # The dead run's staging tables, each holding its rows, unmoved.
    assert staged == {"ids": 3, "events": 3, "quarantine": 2, "items": 2}

    done = run_etl(warehouse_url, open_lake(str(lake_dir)), options=EtlOptions(engine="spark"))
    reference = run_etl(
        other_warehouse_url, open_lake(str(lake_dir)), options=EtlOptions(engine="duckdb")
    )
    assert done.status == "succeeded" and done.loaded == reference.loaded > 0
    with psycopg.connect(warehouse_url) as conn:
        runs = conn.execute("SELECT run_id, status FROM etl_runs ORDER BY run_id").fetchall()
        left = _staged(conn)
    assert runs == [(1, "failed"), (2, "succeeded")]
    assert left == {}
    # Apart from the ledger's extra (failed) run, the run ids and the quarantine ids the
    # rolled-back move drew (sequences are not transactional), the warehouse is what one clean
    # load makes.
    skip = frozenset({"etl_runs", "run_id", "etl_run_id", "kept_version", "quarantine_id"})
    assert differences(warehouse_url, other_warehouse_url, skip) == {}
