"""Conflicts in a batch DuckDB reads directly are set aside without redoing the batch by lines."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import psycopg

from clickstream.etl.run import EtlOptions, run_etl
from clickstream.lake import open_lake
from clickstream.lake.remote import RemoteLake
from clickstream.lake.store import LakeStore
from tests.etl.lakefiles import HOUR, put, record, snapshot

NEXT = HOUR + timedelta(hours=1)
# A batch with no trouble passes each step once; a batch redone line by line passes
# `extracted` and `transformed` again.
ONE_PASS = ["extracted", "transformed", "mid_load", "before_commit", "committed", "derived"]


def _conflicting_lake(lake: LakeStore) -> tuple[dict[str, object], dict[str, object]]:
    """A stored event, then a file with a conflict against it and one inside the file."""
    stored = record("page_view", page_url="https://shop.example/a")
    put(lake, HOUR, [stored], seq=1)
    return stored, record("add_to_cart", NEXT, page_url="https://shop.example/p/1")


def test_conflicts_of_a_file_read_directly_are_quarantined_without_a_second_pass(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    stored, in_file = _conflicting_lake(lake)
    run_etl(warehouse_url, lake)
    later = (NEXT + timedelta(minutes=1)).isoformat()
    lines = [
        record("page_view", NEXT),
        {**stored, "page_url": "https://shop.example/b"},  # line 2: conflicts with stored
        in_file,
        {**in_file, "received_at": later, "request_id": "r-2"},  # a duplicate of line 3
        {**in_file, "received_at": later, "request_id": "r-3", "page_url": "/p/2"},  # line 5
        record("page_view", NEXT),
    ]
    key = put(lake, NEXT, lines, seq=2)
    steps: list[str] = []

    result = run_etl(warehouse_url, lake, on_step=steps.append)

    assert steps == ONE_PASS
    counts = (result.received, result.loaded, result.duplicates, result.conflicts)
    assert counts == (6, 3, 1, 2)
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT source_file, line_number, kind, event_id::text, raw, "
            "kept_version->>'page_url' FROM etl_quarantine ORDER BY line_number"
        ).fetchall()
    assert [row[:4] for row in rows] == [
        (key, 2, "conflict", stored["event_id"]),
        (key, 5, "conflict", in_file["event_id"]),
    ]
    assert [json.loads(row[4])["page_url"] for row in rows] == [
        "https://shop.example/b",
        "/p/2",
    ]
    assert [row[5] for row in rows] == ["https://shop.example/a", "https://shop.example/p/1"]


def test_direct_read_and_line_path_quarantine_the_same_conflicts(
    lake_dir: Path, warehouse_url: str, other_warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    stored, in_file = _conflicting_lake(lake)
    changed = {**stored, "page_url": "https://shop.example/b", "received_at": NEXT.isoformat()}
    same_request = {**in_file, "page_url": "https://shop.example/p/3"}  # tied on every key
    put(lake, NEXT, [record(), changed, changed, in_file, record()], seq=2)
    put(lake, NEXT, [record(), {**changed, "request_id": "r-9"}], seq=3)
    put(lake, NEXT + timedelta(hours=1), [same_request, in_file, record()], seq=4)
    options = EtlOptions(batch_files=2)

    direct = run_etl(warehouse_url, lake, options=options)
    by_lines = run_etl(other_warehouse_url, RemoteLake(f"file://{lake_dir}"), options=options)

    assert (direct.loaded, direct.duplicates, direct.conflicts) == (6, 0, 5)
    assert (by_lines.loaded, by_lines.duplicates, by_lines.conflicts) == (6, 0, 5)
    assert snapshot(warehouse_url) == snapshot(other_warehouse_url)
