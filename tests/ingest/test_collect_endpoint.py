from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import httpx
import pytest

from tests.conftest import ServerThread, lake_records

KEY = re.compile(r"^events/\d{4}/\d{2}/\d{2}/\d{2}/testnode-\d+-\d{8}T\d{12}Z-\d{6}\.ndjson\.gz$")


def post(server: ServerThread, body: object, **kwargs: object) -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(
        f"{server.url}/clickstream",
        content=content,
        headers={"content-type": "application/json"},
        **kwargs,  # type: ignore[arg-type]
    )


def test_single_event_is_enriched_and_written_as_gzip_ndjson(
    ingest_server: ServerThread, lake_dir: Path
) -> None:
    response = post(ingest_server, {"event_name": "page_view", "client_id": "c-1", "page_url": "/"})

    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 1
    files = [p.relative_to(lake_dir).as_posix() for p in lake_dir.rglob("*.ndjson.gz")]
    assert len(files) == 1 and KEY.match(files[0]), files
    [record] = lake_records(lake_dir)
    assert record["event_id"] == body["event_ids"][0]
    assert record["event_name"] == "page_view"
    assert record["client_id"] == "c-1"
    assert record["received_at"].endswith("Z")
    assert record["event_timestamp"] == record["received_at"]
    assert record["user_login_state"] == "guest"
    assert record["client_ip"] == "127.0.0.0"
    assert gzip.decompress((lake_dir / files[0]).read_bytes()).endswith(b"\n")


def test_batch_and_envelope_forms_are_accepted_with_client_ids_kept(
    ingest_server: ServerThread, lake_dir: Path
) -> None:
    given = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    batch = [{"event_name": "page_view", "event_id": given}, {"event_name": "add_to_cart"}]

    assert post(ingest_server, batch).status_code == 202
    assert post(ingest_server, {"events": [{"event_name": "purchase"}]}).status_code == 202

    records = lake_records(lake_dir)
    assert sorted(r["event_name"] for r in records) == ["add_to_cart", "page_view", "purchase"]
    assert given in {r["event_id"] for r in records}


def test_client_timestamp_within_skew_becomes_event_time(
    ingest_server: ServerThread, lake_dir: Path
) -> None:
    post(ingest_server, {"event_name": "page_view", "event_timestamp": "2000-01-01T00:00:00Z"})
    [record] = lake_records(lake_dir)
    assert record["client_timestamp"] == "2000-01-01T00:00:00.000000Z"
    assert record["event_timestamp"] == record["received_at"]


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (b"this is not json", "not valid JSON"),
        (b"", "empty"),
        (b'{"page_url": "/"}', "event_name"),
        (b'[{"event_name": "page_view"}, {"client_id": "x"}]', "event 1"),
        (b'{"event_name": "Bad Name"}', "event_name"),
        (b"[]", "no events"),
    ],
)
def test_bad_body_returns_400_naming_the_problem_and_stores_nothing(
    ingest_server: ServerThread, lake_dir: Path, body: bytes, needle: str
) -> None:
    response = post(ingest_server, body)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_payload"
    assert needle in response.json()["detail"]
    assert not list(lake_dir.rglob("*.gz"))


def test_get_on_collect_path_returns_405(ingest_server: ServerThread, lake_dir: Path) -> None:
    assert httpx.get(f"{ingest_server.url}/clickstream").status_code == 405
    assert not list(lake_dir.rglob("*.gz"))


def test_body_over_limit_returns_413_and_stores_nothing(
    ingest_server: ServerThread, lake_dir: Path
) -> None:
    huge = json.dumps({"event_name": "page_view", "properties": {"x": "a" * 2_000_000}})
    assert post(ingest_server, huge.encode()).status_code == 413
    assert not list(lake_dir.rglob("*.gz"))


def test_healthz_answers(ingest_server: ServerThread) -> None:
    assert httpx.get(f"{ingest_server.url}/healthz").json() == {"status": "ok"}
