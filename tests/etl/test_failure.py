"""A run that cannot reach the lake or the warehouse fails loudly and the next one catches up."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import pytest

from clickstream.etl.run import EtlRunFailed, run_etl
from clickstream.lake import open_lake
from clickstream.lake.remote import RemoteLake
from tests.conftest import free_port
from tests.etl.lakefiles import HOUR, put, record


def _unreachable_s3() -> RemoteLake:
    return RemoteLake(
        "s3://lake/events-root",
        key="test",
        secret="test",  # noqa: S106
        client_kwargs={"endpoint_url": f"http://127.0.0.1:{free_port()}", "region_name": "us-east-1"},
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

    first = threading.Thread(target=lambda: results.append(run_etl(warehouse_url, lake, on_step=hold)))
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
