"""Erasing a user leaves no trace in any warehouse table or lake object; others stay intact."""

from __future__ import annotations

import gzip
import json
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from clickstream.etl.rebuild import rebuild
from clickstream.etl.run import ETL_LOCK_KEY, run_etl
from clickstream.lake import open_lake
from clickstream.ops.erasure import ErasureBusy, erase_subject, subject_digest
from tests.conftest import ServerThread

VICTIM = "victim-7f3a"


def _record(user: str | None, client: str, name: str, minute: int) -> dict[str, object]:
    return {
        "event_id": str(uuid.uuid4()),
        "event_name": name,
        "event_timestamp": f"2026-11-20T10:{minute:02d}:00Z",
        "received_at": f"2026-11-20T10:{minute:02d}:01Z",
        "client_id": client,
        "session_id": f"s-{client}",
        "user_id": user,
        "user_login_state": "logged_in" if user else "guest",
        "page_url": f"/p/{minute}",
    }


def _put(lake_dir: Path, seq: int, lines: list[str]) -> None:
    key = f"events/2026/11/20/10/n-20261120T100000000000Z-{seq:06d}.ndjson.gz"
    open_lake(str(lake_dir)).put(key, gzip.compress("\n".join(lines).encode() + b"\n"))


def _tables_mentioning(url: str, needle: str) -> dict[str, int]:
    found = {}
    with psycopg.connect(url) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
            )
        ]
        for table in tables:
            query = sql.SQL("SELECT count(*) FROM {} t WHERE strpos(t::text, %s) > 0").format(
                sql.Identifier(table)
            )
            row = conn.execute(query, (needle,)).fetchone()
            if row and row[0]:
                found[table] = int(row[0])
    return found


def _lake_objects_mentioning(lake_dir: Path, needle: str) -> list[str]:
    hits = []
    for path in lake_dir.rglob("*.gz"):
        if needle.encode() in gzip.decompress(path.read_bytes()):
            hits.append(str(path.relative_to(lake_dir)))
    return hits


def test_erasing_a_user_leaves_no_trace_in_tables_or_lake(
    lake_dir: Path, warehouse_url: str
) -> None:
    mixed = [
        json.dumps(_record(VICTIM, "c-victim", "page_view", 1)),
        json.dumps(_record(None, "c-other", "page_view", 2)),
        json.dumps(_record(VICTIM, "c-victim", "purchase", 3)),
        json.dumps({**_record(VICTIM, "c-victim", "x", 4), "event_id": "not-a-uuid"}),
    ]
    _put(lake_dir, 1, mixed)
    _put(lake_dir, 2, [json.dumps(_record(VICTIM, "c-victim", "add_to_cart", 5))])
    _put(lake_dir, 3, [json.dumps(_record("someone-else", "c-else", "page_view", 6))])
    lake = open_lake(str(lake_dir))
    run_etl(warehouse_url, lake)
    assert _tables_mentioning(warehouse_url, VICTIM)  # it was there: sessions, events, quarantine
    with psycopg.connect(warehouse_url) as conn:
        before = conn.execute("SELECT count(*) FROM sessions").fetchone()

    report = erase_subject(warehouse_url, lake, "user_id", VICTIM)

    assert _tables_mentioning(warehouse_url, VICTIM) == {}
    assert _lake_objects_mentioning(lake_dir, VICTIM) == []
    assert (report.events_deleted, report.quarantine_deleted) == (3, 1)
    assert (report.lake_objects_rewritten, report.lake_objects_deleted) == (1, 1)
    assert report.lake_lines_removed == 4
    with psycopg.connect(warehouse_url) as conn:
        users = {r[0] for r in conn.execute("SELECT DISTINCT user_id FROM clickstream_events")}
        sessions = conn.execute("SELECT count(*) FROM sessions").fetchone()
        audit = conn.execute(
            "SELECT subject_kind, subject_digest, events_deleted, finished_at IS NOT NULL "
            "FROM privacy_erasures"
        ).fetchall()
    assert users == {None, "someone-else"}
    assert before is not None and sessions == (before[0] - 1,)
    assert audit == [("user_id", subject_digest("user_id", VICTIM), 3, True)]
    # A rebuild from the lake brings nothing back, and erasing again finds nothing.
    rebuild(warehouse_url, lake)
    assert _tables_mentioning(warehouse_url, VICTIM) == {}
    again = erase_subject(warehouse_url, lake, "user_id", VICTIM)
    assert (again.events_deleted, again.lake_lines_removed) == (0, 0)


def test_erasing_a_client_id_sent_over_http_removes_it_everywhere(
    ingest_server: ServerThread, lake_dir: Path, warehouse_url: str
) -> None:
    collect = f"{ingest_server.url}/clickstream"
    for name in ("page_view", "product_view"):
        assert (
            httpx.post(collect, json={"event_name": name, "client_id": VICTIM}).status_code == 202
        )
    assert (
        httpx.post(collect, json={"event_name": "page_view", "client_id": "c-2"}).status_code == 202
    )
    lake = open_lake(str(lake_dir))
    run_etl(warehouse_url, lake)

    erase_subject(warehouse_url, lake, "client_id", VICTIM)

    assert _tables_mentioning(warehouse_url, VICTIM) == {}
    assert _lake_objects_mentioning(lake_dir, VICTIM) == []
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT client_id FROM clickstream_events").fetchall() == [("c-2",)]


def test_erasure_waits_for_a_running_etl(lake_dir: Path, warehouse_url: str) -> None:
    with psycopg.connect(warehouse_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (ETL_LOCK_KEY,))
        with pytest.raises(ErasureBusy):
            erase_subject(warehouse_url, open_lake(str(lake_dir)), "user_id", VICTIM)


def test_erasing_a_user_removes_the_lines_of_their_events_and_keeps_everyone_elses(
    lake_dir: Path, warehouse_url: str
) -> None:
    lines = [{"id": "p1", "price": 10, "quantity": 2}, {"id": "p2", "price": 5}]
    bought = {**_record(VICTIM, "c-victim", "purchase", 1), "items": lines}
    other = {**_record("someone-else", "c-else", "purchase", 2), "items": lines[:1]}
    _put(lake_dir, 1, [json.dumps(bought), json.dumps(other)])
    lake = open_lake(str(lake_dir))
    run_etl(warehouse_url, lake)

    report = erase_subject(warehouse_url, lake, "user_id", VICTIM)

    with psycopg.connect(warehouse_url) as conn:
        left = conn.execute("SELECT event_id::text, item_id FROM event_items").fetchall()
        revenue = conn.execute("SELECT sum(revenue) FROM product_daily").fetchone()
    assert report.items_deleted == 2
    assert left == [(other["event_id"], "p1")]
    assert revenue == (20,)
