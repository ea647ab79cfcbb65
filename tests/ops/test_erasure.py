"""Erasing a user leaves no trace in any warehouse table or lake object; others stay intact."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql

from clickstream.etl.rebuild import rebuild
from clickstream.etl.run import ETL_LOCK_KEY, run_etl
from clickstream.lake import open_lake
from clickstream.lake.remote import RemoteLake
from clickstream.ops.erasure import ErasureBusy, erase_subject, subject_digest
from tests.conftest import ServerThread, wait_for_lake
from tests.ingest.test_s3_lake import BUCKET, CREDENTIALS, Moto, moto  # noqa: F401 (a fixture)

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
    acknowledged: list[str] = []
    for name, client in (("page_view", VICTIM), ("product_view", VICTIM), ("page_view", "c-2")):
        response = httpx.post(collect, json={"event_name": name, "client_id": client})
        assert response.status_code == 202
        acknowledged += response.json()["event_ids"]
    wait_for_lake(lake_dir, acknowledged)
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


def _quarantine_samples(lake_dir: Path) -> list[dict[str, object]]:
    return [
        json.loads(line)
        for path in sorted((lake_dir / "quarantine").rglob("*.gz"))
        for line in gzip.decompress(path.read_bytes()).splitlines()
    ]


def test_erasure_rewrites_the_quarantine_samples_the_ingest_wrote(
    ingest_server: ServerThread, lake_dir: Path, warehouse_url: str
) -> None:
    collect = f"{ingest_server.url}/clickstream"
    refused = [
        httpx.post(collect, json={"event_name": "Not A Name", "client_id": client})
        for client in (VICTIM, "c-2")
    ]
    accepted = httpx.post(collect, json={"event_name": "page_view", "client_id": "c-2"})
    assert [r.status_code for r in refused] == [400, 400] and accepted.status_code == 202
    wait_for_lake(lake_dir, accepted.json()["event_ids"])
    deadline = time.monotonic() + 10
    while len(_quarantine_samples(lake_dir)) < 2:  # the shipper writes the sample too
        assert time.monotonic() < deadline, "the refusals were not sampled into the lake"
        time.sleep(0.05)
    lake = open_lake(str(lake_dir))
    run_etl(warehouse_url, lake)

    report = erase_subject(warehouse_url, lake, "client_id", VICTIM)

    assert _lake_objects_mentioning(lake_dir, VICTIM) == []
    [kept] = _quarantine_samples(lake_dir)
    assert '"c-2"' in str(kept["body_sample"]) and kept["reason"] == refused[1].json()["error"]
    assert report.lake_lines_removed == 1
    assert report.rewritten_keys and report.rewritten_keys[0].startswith("quarantine/")


def test_erasure_on_an_s3_lake_rewrites_and_deletes_objects(
    request: pytest.FixtureRequest, warehouse_url: str
) -> None:
    server: Moto = request.getfixturevalue("moto")  # S3 on loopback, from the ingest's tests
    # moto keeps one store per process: a root of its own keeps other tests' objects apart
    lake = RemoteLake(
        f"s3://{BUCKET}/erasure-{uuid.uuid4().hex[:8]}",
        skip_instance_cache=True,
        client_kwargs={"endpoint_url": server.endpoint, "region_name": "us-east-1"},
        **CREDENTIALS,
    )
    mixed = [_record(VICTIM, "c-victim", "page_view", 1), _record(None, "c-other", "click", 2)]
    only_victim = [_record(VICTIM, "c-victim", "purchase", 3)]
    for seq, records in ((1, mixed), (2, only_victim)):
        body = "".join(json.dumps(r) + "\n" for r in records).encode()
        lake.put(
            f"events/2026/11/20/10/n-20261120T100000000000Z-{seq:06d}.ndjson.gz",
            gzip.compress(body),
        )
    run_etl(warehouse_url, lake)

    report = erase_subject(warehouse_url, lake, "user_id", VICTIM)

    keys = sorted(obj.key for obj in lake.list("events/") if obj.key.endswith(".gz"))
    assert keys == ["events/2026/11/20/10/n-20261120T100000000000Z-000001.ndjson.gz"]
    remaining = [json.loads(line) for line in gzip.decompress(lake.get(keys[0])).splitlines()]
    assert [r["client_id"] for r in remaining] == ["c-other"]
    assert (report.events_deleted, report.lake_objects_rewritten) == (2, 1)
    assert report.lake_objects_deleted == 1
    assert _tables_mentioning(warehouse_url, VICTIM) == {}


# HMAC-SHA256(b"k" * 32, "user-7"), computed outside the project (`openssl dgst -hmac`)
PSEUDONYM_OF_USER_7 = "p_cb64e719cba153be592035a86cb78bea"


# the command's wiring, not SQL: one kind of PostgreSQL server is enough
@pytest.mark.parametrize("pg_admin_url", ["embedded"], indirect=True)
def test_ops_erase_command_erases_the_pseudonym_of_the_shops_user_id(
    lake_dir: Path, warehouse_url: str, tmp_path: Path
) -> None:
    _put(
        lake_dir,
        1,
        [
            json.dumps(_record(PSEUDONYM_OF_USER_7, "c-7", "page_view", 1)),
            json.dumps(_record(PSEUDONYM_OF_USER_7, "c-7", "purchase", 2)),
            json.dumps(_record("p_someoneelse", "c-8", "page_view", 3)),
        ],
    )
    run_etl(warehouse_url, open_lake(str(lake_dir)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env.update(
        CLICKSTREAM_DATA_DIR=str(tmp_path / "data"),
        CLICKSTREAM_WAREHOUSE_URL=warehouse_url,
        CLICKSTREAM_LAKE_URL=str(lake_dir),
        CLICKSTREAM_PSEUDONYMISE_KEY="k" * 32,
    )

    erased = subprocess.run(
        [sys.executable, "-m", "clickstream", "ops", "erase", "--user-id", "user-7"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    both = subprocess.run(
        [sys.executable, "-m", "clickstream", "ops", "erase", "--user-id", "a", "--client-id", "b"],
        env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip

    assert erased.returncode == 0, erased.stderr
    assert "events=2 " in erased.stdout and "lake_objects_rewritten=1" in erased.stdout
    assert _tables_mentioning(warehouse_url, PSEUDONYM_OF_USER_7) == {}
    assert _lake_objects_mentioning(lake_dir, PSEUDONYM_OF_USER_7) == []
    with psycopg.connect(warehouse_url) as conn:
        users = conn.execute("SELECT user_id FROM clickstream_events").fetchall()
        audit = conn.execute("SELECT subject_kind, subject_digest FROM privacy_erasures").fetchall()
    assert users == [("p_someoneelse",)]
    assert audit == [("user_id", subject_digest("user_id", PSEUDONYM_OF_USER_7))]
    assert both.returncode == 2 and "exactly one of --user-id and --client-id" in both.stderr


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
