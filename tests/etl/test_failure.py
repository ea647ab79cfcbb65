"""A run that cannot reach the lake or the warehouse fails loudly and the next one catches up."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import psycopg
import pytest

from clickstream.etl.derive import compute
from clickstream.etl.run import EtlOptions, EtlRunFailed, run_etl
from clickstream.lake import open_lake
from clickstream.lake.remote import RemoteLake
from clickstream.ops.configuration import OpsSettings
from clickstream.ops.watch import check
from tests.conftest import free_port
from tests.etl.lakefiles import HOUR, put, record


def _unreachable_s3() -> RemoteLake:
    return RemoteLake(
        "s3://lake/events-root",
        key="test",
        secret="test",
        client_kwargs={
            "endpoint_url": f"http://127.0.0.1:{free_port()}",
            "region_name": "us-east-1",
        },
        config_kwargs={"retries": {"max_attempts": 1}, "connect_timeout": 1},
    )


def test_unreachable_lake_records_a_failed_run_and_the_next_run_catches_up(
    lake_dir: Path, warehouse_url: str
) -> None:
    put(open_lake(str(lake_dir)), HOUR, [record(), record()])

    with pytest.raises(EtlRunFailed, match="failed"):
        run_etl(warehouse_url, _unreachable_s3())
    caught_up = run_etl(warehouse_url, open_lake(str(lake_dir)))

    with psycopg.connect(warehouse_url) as conn:
        runs = conn.execute("SELECT status, error FROM etl_runs ORDER BY run_id").fetchall()
        events = conn.execute("SELECT count(*) FROM clickstream_events").fetchone()
    assert runs[0][0] == "failed" and runs[0][1]
    assert runs[1] == ("succeeded", None)
    assert (caught_up.loaded, events) == (2, (2,))


def test_unreachable_warehouse_raises_without_loading(lake_dir: Path) -> None:
    put(open_lake(str(lake_dir)), HOUR, [record()])
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nowhere"

    with pytest.raises(EtlRunFailed, match="warehouse unreachable"):
        run_etl(url, open_lake(str(lake_dir)))


def test_second_concurrent_run_is_a_no_op_and_every_event_loads_once(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    put(lake, HOUR, [record() for _ in range(5)])
    inside, release = threading.Event(), threading.Event()
    results = []

    def hold(step: str) -> None:
        if step == "transformed":
            inside.set()
            release.wait(timeout=30)

    first = threading.Thread(
        target=lambda: results.append(run_etl(warehouse_url, lake, on_step=hold))
    )
    first.start()
    assert inside.wait(timeout=30)
    second = run_etl(warehouse_url, lake)
    release.set()
    first.join(timeout=30)

    assert (second.status, second.run_id) == ("skipped", None)
    assert (results[0].status, results[0].loaded) == ("succeeded", 5)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM etl_runs").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM clickstream_events").fetchone() == (5,)


@pytest.mark.parametrize("kind", ["missing", "a file"])
def test_lake_that_is_missing_or_a_file_fails_the_run_naming_it_and_opens_the_alarm(
    kind: str, tmp_path: Path, warehouse_url: str
) -> None:
    lake_path = tmp_path / "lake"
    if kind == "a file":
        lake_path.write_text("not a folder")

    with pytest.raises(EtlRunFailed, match=re.escape(str(lake_path))):
        run_etl(warehouse_url, open_lake(str(lake_path)))
    alarms = check(warehouse_url, OpsSettings(data_dir=tmp_path, alarm_disk_free_percent=0))

    with psycopg.connect(warehouse_url) as conn:
        runs = conn.execute("SELECT status, error FROM etl_runs").fetchall()
    assert [status for status, _ in runs] == ["failed"]
    assert str(lake_path) in runs[0][1]
    assert ("etl_run_failed", "opened") in [(t.alarm, t.kind) for t in alarms.transitions]


def test_lake_folder_that_exists_and_is_empty_is_a_successful_run(
    tmp_path: Path, warehouse_url: str
) -> None:
    lake_path = tmp_path / "lake"
    lake_path.mkdir()

    result = run_etl(warehouse_url, open_lake(str(lake_path)))

    assert (result.status, result.files, result.received) == ("succeeded", 0, 0)


def test_a_derive_failing_after_some_tables_are_copied_leaves_no_derived_row(
    lake_dir: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The derive COPYs each table as the worker writes it (`compute.PendingFiles`): when the
    worker fails part way, the tables already copied go back with the derive's transaction,
    the day stays marked, and the next run derives it."""
    lake = open_lake(str(lake_dir))
    for seq in range(1, 4):  # three batches: the worker derives the day ahead
        put(lake, HOUR, [record(session_id="s-1"), record(session_id="s-2")], seq=seq)
    real = compute.write_copy_file
    written: list[str] = []

    def failing(duck: object, query: str, path: Path) -> None:
        if path.name.startswith("journey_daily"):
            raise OSError("disk full")
        real(duck, query, path)  # type: ignore[arg-type]
        written.append(path.name)

    monkeypatch.setattr(compute, "write_copy_file", failing)
    with pytest.raises(EtlRunFailed, match="disk full"):
        run_etl(warehouse_url, lake, options=EtlOptions(batch_files=1))
    assert any(name.startswith("sessions") for name in written)
    assert any(name.startswith("session_steps") for name in written)
    with psycopg.connect(warehouse_url) as conn:
        derived = conn.execute(
            "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM session_steps), "
            "(SELECT count(*) FROM clickstream_events), (SELECT count(*) FROM etl_dirty_days)"
        ).fetchone()
    assert derived == (0, 0, 6, 1)
    assert [t.name for t in threading.enumerate() if t.name.startswith("etl-")] == []

    monkeypatch.setattr(compute, "write_copy_file", real)
    run_etl(warehouse_url, lake)
    with psycopg.connect(warehouse_url) as conn:
        after = conn.execute(
            "SELECT (SELECT count(*) FROM sessions), (SELECT count(*) FROM etl_dirty_days)"
        ).fetchone()
    assert after == (2, 0)
