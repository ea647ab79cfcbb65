from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from clickstream import utc
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.ops.retention import expire_lake

NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def _object(hour: str) -> tuple[str, bytes]:
    y, m, d, h = hour.split("-")
    record = {
        "event_id": str(uuid.uuid4()),
        "event_name": "page_view",
        "event_timestamp": f"{y}-{m}-{d}T{h}:00:00Z",
        "received_at": f"{y}-{m}-{d}T{h}:00:01Z",
    }
    key = f"events/{y}/{m}/{d}/{h}/n-{y}{m}{d}T{h}0001000000Z-000001.ndjson.gz"
    return key, gzip.compress(json.dumps(record).encode())


def test_only_old_and_loaded_objects_expire(lake_dir: Path, warehouse_url: str) -> None:
    lake = open_lake(str(lake_dir))
    old_loaded, old_unloaded, recent = (
        _object("2026-09-01-10"),
        _object("2026-09-02-11"),
        _object("2026-11-20-09"),
    )
    lake.put(*old_loaded)
    lake.put(*recent)
    run_etl(warehouse_url, lake)
    lake.put(*old_unloaded)

    report = expire_lake(lake, warehouse_url, keep_days=30, now=NOW)

    remaining = {obj.key for obj in lake.list("events/")}
    assert (report.deleted, report.kept_unloaded) == (1, 1)
    assert remaining == {old_unloaded[0], recent[0]}


def test_zero_days_keeps_everything(lake_dir: Path, warehouse_url: str) -> None:
    lake = open_lake(str(lake_dir))
    lake.put(*_object("2020-01-01-00"))
    run_etl(warehouse_url, lake)
    assert expire_lake(lake, warehouse_url, keep_days=0, now=NOW).deleted == 0
    assert len(list(lake.list("events/"))) == 1


# the command's wiring, not SQL: one kind of PostgreSQL server is enough
@pytest.mark.parametrize("pg_admin_url", ["embedded"], indirect=True)
def test_expire_lake_command_deletes_old_loaded_objects_only(
    lake_dir: Path, warehouse_url: str, tmp_path: Path
) -> None:
    lake = open_lake(str(lake_dir))
    old, recent = _object("2020-01-01-00"), _object(utc.now().strftime("%Y-%m-%d-%H"))
    lake.put(*old)
    lake.put(*recent)
    run_etl(warehouse_url, lake)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env.update(
        CLICKSTREAM_DATA_DIR=str(tmp_path / "data"),
        CLICKSTREAM_WAREHOUSE_URL=warehouse_url,
        CLICKSTREAM_LAKE_URL=str(lake_dir),
    )

    expired = subprocess.run(
        [sys.executable, "-m", "clickstream", "ops", "expire-lake", "--days", "30"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert expired.returncode == 0, expired.stderr
    assert "deleted=1 kept_unloaded=0" in expired.stdout
    assert {obj.key for obj in lake.list("events/")} == {recent[0]}
