"""The `etl` commands over a real warehouse: ledger output, exit codes, pause and history."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import free_port
from tests.etl.lakefiles import HOUR, put, record

ROOT = Path(__file__).resolve().parents[2]


def _cli(url: str, lake_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env = {
        **clean,
        "CLICKSTREAM_WAREHOUSE_URL": url,
        "CLICKSTREAM_SHOP_DB_URL": url,
        "CLICKSTREAM_LAKE_URL": str(lake_dir),
    }
    return subprocess.run(
        [sys.executable, "-m", "clickstream", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_run_then_history_show_the_ledger_and_pause_is_persisted(
    lake_dir: Path, warehouse_url: str
) -> None:
    from clickstream.lake import open_lake

    put(open_lake(str(lake_dir)), HOUR, [record(), "oops"])

    ran = _cli(warehouse_url, lake_dir, "etl", "run")
    paused = _cli(warehouse_url, lake_dir, "etl", "pause", "--reason", "maintenance")
    history = _cli(warehouse_url, lake_dir, "etl", "history")
    resumed = _cli(warehouse_url, lake_dir, "etl", "resume")

    assert ran.returncode == 0, ran.stderr
    assert "succeeded; files=1 received=2 loaded=1 duplicates=0 conflicts=0 rejected=1" in (
        ran.stdout
    )
    assert paused.returncode == 0 and "paused" in paused.stdout and "maintenance" in paused.stdout
    assert history.returncode == 0
    assert "scheduler paused" in history.stdout
    assert " manual " in history.stdout and "succeeded" in history.stdout
    assert resumed.stdout.strip() == "scheduler running"


def test_backfill_with_reversed_range_exits_2(lake_dir: Path, warehouse_url: str) -> None:
    result = _cli(
        warehouse_url, lake_dir, "etl", "backfill", "--from", "2026-11-25", "--to", "2026-11-01"
    )
    assert result.returncode == 2
    assert "before" in result.stderr


def test_run_against_an_unreachable_warehouse_exits_non_zero(lake_dir: Path) -> None:
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"
    result = _cli(url, lake_dir, "etl", "run")
    assert result.returncode == 1
    assert "warehouse unreachable" in result.stderr


def test_schedule_with_an_invalid_expression_exits_2_with_the_reason(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    result = subprocess.run(
        [sys.executable, "-m", "clickstream", "etl", "schedule"],
        env={**clean, "CLICKSTREAM_ETL_SCHEDULE": "cron(5 * * * *)"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "CLICKSTREAM_ETL_SCHEDULE" in result.stderr and "6 fields" in result.stderr


def test_run_with_a_lake_url_that_does_not_exist_exits_1_naming_the_lake(
    tmp_path: Path, warehouse_url: str
) -> None:
    missing = tmp_path / "no-such-lake"

    result = _cli(warehouse_url, missing, "etl", "run")

    assert result.returncode == 1
    assert str(missing) in result.stderr and "succeeded" not in result.stdout
