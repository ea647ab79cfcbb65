"""An event_id is stored once: identical repeats are duplicates, different payloads conflicts."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from clickstream.etl import pipeline
from clickstream.etl.batch import PreparedBatch
from clickstream.etl.run import EtlOptions, run_etl
from clickstream.lake import open_lake
from tests.etl.lakefiles import HOUR, put, record


def _ledgers_balance(url: str) -> bool:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT received, loaded, duplicates, conflicts, rejected FROM etl_runs"
        ).fetchall()
    return bool(rows) and all(r[0] == r[1] + r[2] + r[3] + r[4] for r in rows)


def test_retry_in_a_later_run_is_a_duplicate_and_stored_once(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    original = record("page_view")
    put(lake, HOUR, [original], seq=1)
    run_etl(warehouse_url, lake)
    # A retry: same client payload, new receipt time, request and node.
    retry = {
        **original,
        "received_at": (HOUR + timedelta(minutes=5)).isoformat(),
        "request_id": "r-2",
        "node_id": "n2",
    }
    put(lake, HOUR, [retry], seq=2)

    second = run_etl(warehouse_url, lake)

    assert (second.received, second.loaded, second.duplicates, second.conflicts) == (1, 0, 1, 0)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM clickstream_events").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM etl_quarantine").fetchone() == (0,)
    assert _ledgers_balance(warehouse_url)


def test_batch_prepared_before_the_registry_check_still_stores_only_its_new_events(
    lake_dir: Path, warehouse_url: str
) -> None:
    # Batches are written out assuming the warehouse holds none of their ids; a batch that
    # mixes a stored event's retry with new events must be redone before its COPY.
    lake = open_lake(str(lake_dir))
    original = record("page_view")
    put(lake, HOUR, [original], seq=1)
    run_etl(warehouse_url, lake)
    fresh = [record("product_view", HOUR + timedelta(minutes=n)) for n in range(3)]
    put(lake, HOUR, [*fresh, {**original, "request_id": "r-2"}], seq=2)
    put(lake, HOUR + timedelta(hours=1), [record("page_view", HOUR + timedelta(hours=1))], seq=3)

    second = run_etl(warehouse_url, lake, options=EtlOptions(batch_files=1))

    assert (second.received, second.loaded, second.duplicates) == (5, 4, 1)
    with psycopg.connect(warehouse_url) as conn:
        stored = conn.execute(
            "SELECT count(*), count(DISTINCT event_id) FROM clickstream_events"
        ).fetchone()
    assert stored == (5, 5)
    assert _ledgers_balance(warehouse_url)


def test_different_payload_in_a_later_run_is_a_conflict_quarantined_with_both_versions(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    original = record("page_view", page_url="https://shop.example/a")
    put(lake, HOUR, [original], seq=1)
    run_etl(warehouse_url, lake)
    changed = {**original, "page_url": "https://shop.example/b"}
    key = put(lake, HOUR, [changed], seq=2)

    second = run_etl(warehouse_url, lake)

    assert (second.received, second.loaded, second.duplicates, second.conflicts) == (1, 0, 0, 1)
    with psycopg.connect(warehouse_url) as conn:
        stored = conn.execute("SELECT page_url FROM clickstream_events").fetchall()
        row = conn.execute(
            "SELECT kind, event_id::text, source_file, raw, kept_version->>'page_url' "
            "FROM etl_quarantine"
        ).fetchone()
    assert stored == [("https://shop.example/a",)]
    assert row is not None
    assert row[:3] == ("conflict", original["event_id"], key)
    assert '"https://shop.example/b"' in row[3]
    assert row[4] == "https://shop.example/a"
    assert _ledgers_balance(warehouse_url)


def test_repeats_within_one_batch_keep_the_earliest_and_split_duplicates_from_conflicts(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    first = record("add_to_cart", page_url="https://shop.example/p/1")
    later = {**first, "received_at": (HOUR + timedelta(minutes=1)).isoformat()}
    conflicting = {**later, "page_url": "https://shop.example/p/2"}
    put(lake, HOUR, [first, later], seq=1)
    put(lake, HOUR, [conflicting], seq=2)

    result = run_etl(warehouse_url, lake, options=EtlOptions(batch_files=10))

    assert (result.received, result.loaded, result.duplicates, result.conflicts) == (3, 1, 1, 1)
    with psycopg.connect(warehouse_url) as conn:
        kept = conn.execute(
            "SELECT received_at = %s::timestamptz FROM clickstream_events", (first["received_at"],)
        ).fetchone()
        manifest = conn.execute(
            "SELECT received, loaded, duplicates, conflicts FROM lake_manifest ORDER BY 1 DESC"
        ).fetchall()
        versions = conn.execute(
            "SELECT kept_version->>'page_url' FROM etl_quarantine WHERE kind = 'conflict'"
        ).fetchall()
    assert kept == (True,)
    assert manifest == [(2, 1, 1, 0), (1, 0, 0, 1)]
    assert versions == [("https://shop.example/p/1",)]


def test_same_event_id_with_timestamps_on_different_days_is_stored_once(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    event = record("page_view")
    put(lake, HOUR, [event], seq=1)
    run_etl(warehouse_url, lake)
    moved = {**event, "event_timestamp": (HOUR + timedelta(days=3)).isoformat()}
    put(lake, HOUR + timedelta(days=3), [moved], seq=1)

    second = run_etl(warehouse_url, lake)

    # The client part is identical (only the server's normalised time differs).
    assert (second.loaded, second.duplicates) == (0, 1)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM clickstream_events").fetchone() == (1,)


def test_every_run_ledger_balances_received_against_its_outcomes(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    event = record()
    put(lake, HOUR, [event, event, "not json", {"event_name": "x"}, record()], seq=1)
    run_etl(warehouse_url, lake)
    put(lake, HOUR, [{**event, "page_url": "/other"}, record(), "[1, 2]"], seq=2)
    run_etl(warehouse_url, lake)

    with psycopg.connect(warehouse_url) as conn:
        runs = conn.execute(
            "SELECT received, loaded, duplicates, conflicts, rejected, rejected_by_reason "
            "FROM etl_runs ORDER BY run_id"
        ).fetchall()
    assert [r[:5] for r in runs] == [(5, 2, 1, 0, 2), (3, 1, 0, 1, 1)]
    assert runs[0][5] == {"unparseable JSON line": 1, "event_id is not a UUID": 1}
    assert runs[1][5] == {"line is not a JSON object": 1}
    assert _ledgers_balance(warehouse_url)


def test_repeats_of_an_earlier_batch_of_the_run_are_decided_without_settling(
    lake_dir: Path, warehouse_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Batch 2 holds a resend and a changed version of batch 1's events: the worker decides
    # them against batch 1's ids, so batch 2's ids go into the registry at the first try.
    settled = _count_settles(monkeypatch)
    lake = open_lake(str(lake_dir))
    first, second = record("page_view"), record("product_view", page_url="https://shop.example/a")
    put(lake, HOUR, [first, second], seq=1)
    retry = {**first, "received_at": (HOUR + timedelta(minutes=5)).isoformat()}
    changed = {**second, "page_url": "https://shop.example/b"}
    put(lake, HOUR, [retry, changed, record()], seq=2)

    result = run_etl(warehouse_url, lake, options=EtlOptions(batch_files=1))

    assert (result.received, result.loaded, result.duplicates, result.conflicts) == (5, 3, 1, 1)
    assert settled == []
    with psycopg.connect(warehouse_url) as conn:
        pages = conn.execute(
            "SELECT page_url FROM clickstream_events WHERE event_id = %s", (second["event_id"],)
        ).fetchall()
        versions = conn.execute(
            "SELECT source_file, kept_version->>'page_url' FROM etl_quarantine"
        ).fetchall()
        manifest = conn.execute(
            "SELECT received, loaded, duplicates, conflicts FROM lake_manifest ORDER BY 1"
        ).fetchall()
    assert pages == [("https://shop.example/a",)]
    assert [v[1] for v in versions] == ["https://shop.example/a"]
    assert manifest == [(2, 2, 0, 0), (3, 1, 1, 1)]
    assert _ledgers_balance(warehouse_url)


def test_a_batch_checked_against_an_earlier_batch_that_was_settled_is_decided_again(
    lake_dir: Path, warehouse_url: str
) -> None:
    # Batch 1 of the second run sends a changed version of a stored event (a conflict once
    # settled against the registry); batch 2 repeats that changed version. As prepared, batch 2
    # saw it as a resend of batch 1's line, but batch 1 never registered it: against the
    # stored version it is a conflict too.
    lake = open_lake(str(lake_dir))
    stored = record("page_view", page_url="https://shop.example/a")
    put(lake, HOUR, [stored], seq=1)
    run_etl(warehouse_url, lake)
    changed = {**stored, "page_url": "https://shop.example/b"}
    put(lake, HOUR, [changed, record()], seq=2)
    put(lake, HOUR, [{**changed, "request_id": "r-3"}, record()], seq=3)

    second = run_etl(warehouse_url, lake, options=EtlOptions(batch_files=1))

    assert (second.received, second.loaded, second.duplicates, second.conflicts) == (4, 2, 0, 2)
    with psycopg.connect(warehouse_url) as conn:
        pages = conn.execute(
            "SELECT page_url FROM clickstream_events WHERE event_id = %s", (stored["event_id"],)
        ).fetchall()
        kept = conn.execute(
            "SELECT kept_version->>'page_url' FROM etl_quarantine WHERE kind = 'conflict'"
        ).fetchall()
    assert pages == [("https://shop.example/a",)]
    assert kept == [("https://shop.example/a",), ("https://shop.example/a",)]
    assert _ledgers_balance(warehouse_url)


def _count_settles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The batch numbers the pipeline settles against the registry in this test."""
    calls: list[int] = []
    real = pipeline.settle

    def counted(batch: PreparedBatch, known: Path) -> PreparedBatch:
        calls.append(batch.number)
        return real(batch, known)

    monkeypatch.setattr(pipeline, "settle", counted)
    return calls
