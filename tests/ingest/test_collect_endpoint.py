"""POST /clickstream over real HTTP: accepted forms, enrichment, and every limit and error."""

from __future__ import annotations

import gzip
import json
import re
from collections.abc import Iterator

import httpx
import pytest

from tests.ingest.conftest import Ingest

KEY = re.compile(r"^events/\d{4}/\d{2}/\d{2}/\d{2}/testnode-\d+-\d{8}T\d{12}Z-\d{6}\.ndjson\.gz$")


def test_single_event_is_enriched_and_written_as_gzip_ndjson(ingest: Ingest) -> None:
    response = ingest.post(
        {"event_name": "page_view", "client_id": "c-1", "page_url": "/", "user_id": "forged"},
        headers={"user-agent": "pytest-agent"},
    )

    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 1
    assert response.headers["x-request-id"]
    files = [p.relative_to(ingest.lake_dir).as_posix() for p in ingest.lake_dir.rglob("*.gz")]
    assert len(files) == 1 and KEY.match(files[0]), files
    [record] = ingest.stored()
    assert record["event_id"] == body["event_ids"][0]
    assert record["event_id"][14] == "7"  # a UUIDv7 the server assigned
    assert record["event_name"] == "page_view"
    assert record["client_id"] == "c-1"
    assert record["received_at"].endswith("Z")
    assert record["event_timestamp"] == record["received_at"]
    assert record["user_id"] is None
    assert record["user_login_state"] == "guest"
    assert record["client_ip"] == "127.0.0.0"
    assert record["user_agent"] == "pytest-agent"
    assert record["request_id"] == response.headers["x-request-id"]
    assert record["node_id"].startswith("testnode-")
    raw = gzip.decompress((ingest.lake_dir / files[0]).read_bytes())
    assert raw.endswith(b"\n") and raw.count(b"\n") == 1


def test_array_envelope_and_gzip_forms_are_accepted_with_client_ids_kept(ingest: Ingest) -> None:
    given = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
    batch = [{"event_name": "page_view", "event_id": given}, {"event_name": "add_to_cart"}]

    assert ingest.post(batch).status_code == 202
    assert ingest.post({"events": [{"event_name": "purchase"}]}).status_code == 202
    assert ingest.post([{"event_name": "search"}], gzip_body=True).status_code == 202

    records = ingest.stored()
    names = sorted(r["event_name"] for r in records)
    assert names == ["add_to_cart", "page_view", "purchase", "search"]
    assert given in {r["event_id"] for r in records}


def test_client_timestamp_outside_skew_is_kept_but_not_used(ingest: Ingest) -> None:
    ingest.post({"event_name": "page_view", "event_timestamp": "2000-01-01T00:00:00Z"})
    [record] = ingest.stored()
    assert record["client_timestamp"] == "2000-01-01T00:00:00.000000Z"
    assert record["event_timestamp"] == record["received_at"]


def _deep(levels: int) -> dict[str, object]:
    value: dict[str, object] = {}
    for _ in range(levels):
        value = {"k": value}
    return value


BAD_BODIES = [
    # (body, status, error, a phrase the detail must hold)
    (b"this is not json", 400, "malformed_json", "not valid JSON"),
    (b'{"event_name": "page_view", "x": NaN}', 400, "malformed_json", "not valid JSON"),
    (b'{"event_name": "page_view", "x": 1e999}', 400, "malformed_json", "out of range"),
    (b'{"event_name": "caf\xe9"}', 400, "malformed_json", "not UTF-8"),
    (b"[" * 5000 + b"]" * 5000, 400, "malformed_json", "nested too deeply"),
    (b"[" + b"[" * 30 + b"]" * 30 + b"]", 400, "invalid_payload", "event 0"),
    (b"", 400, "invalid_payload", "empty"),
    (b"[]", 400, "invalid_payload", "no events"),
    (b'"page_view"', 400, "invalid_payload", "expected a JSON object"),
    (b'{"events": 3}', 400, "invalid_payload", "array"),
    (b'{"page_url": "/"}', 400, "invalid_payload", "event_name"),
    (b'{"event_name": "Bad Name"}', 400, "invalid_payload", "event_name"),
    (
        json.dumps([{"event_name": "ok"}, {"event_name": "x", "product": {"price": "dear"}}]),
        400,
        "invalid_payload",
        "event 1, field `product.price`",
    ),
    (
        json.dumps({"event_name": "x", "properties": _deep(25)}),
        400,
        "invalid_payload",
        "at most 20 levels",
    ),
    (
        json.dumps({"event_name": "x", "properties": {f"k{i}": i for i in range(51)}}),
        400,
        "invalid_payload",
        "at most 50",
    ),
    (json.dumps([{"event_name": "x"}] * 501), 413, "batch_too_large", "at most 500"),
    (
        json.dumps({"event_name": "x", "properties": {"a": "b" * 33_000}}),
        413,
        "event_too_large",
        "event 0",
    ),
    (
        json.dumps([{"event_name": "x", "properties": {"a": "b" * 30_000}}] * 40),
        413,
        "payload_too_large",
        "larger than 1048576",
    ),
]


@pytest.mark.parametrize(("body", "status", "error", "phrase"), BAD_BODIES)
def test_bad_body_is_refused_with_its_status_and_reason_and_nothing_is_stored(
    ingest: Ingest, body: bytes | str, status: int, error: str, phrase: str
) -> None:
    content = body.encode() if isinstance(body, str) else body
    response = ingest.post(content)

    assert response.status_code == status, response.text
    assert response.json()["error"] == error
    assert phrase in response.json()["detail"]
    assert ingest.stored() == []


def test_invalid_batch_reports_every_bad_index_and_field_and_stores_none(ingest: Ingest) -> None:
    batch = [
        {"event_name": "page_view"},
        {"event_name": "page_view", "is_first_visit": "yes"},
        {"event_name": "purchase", "order": {"currency": "euro"}},
    ]
    response = ingest.post(batch)

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [
        (1, "is_first_visit"),
        (2, "order.currency"),
    ]
    assert ingest.stored() == []


def test_wrong_method_returns_405_with_allow(ingest: Ingest) -> None:
    response = httpx.get(ingest.url)
    assert response.status_code == 405
    assert response.json()["error"] == "method_not_allowed"
    assert "POST" in response.headers["allow"]
    assert ingest.stored() == []


@pytest.mark.parametrize(
    ("headers", "phrase"),
    [
        ({"content-type": "application/xml"}, "application/json"),
        ({"content-type": "application/x-www-form-urlencoded"}, "application/json"),
        ({"content-encoding": "br"}, "gzip"),
    ],
)
def test_wrong_content_type_or_encoding_returns_415_and_stores_nothing(
    ingest: Ingest, headers: dict[str, str], phrase: str
) -> None:
    response = ingest.post({"event_name": "page_view"}, headers=headers)
    assert response.status_code == 415
    assert response.json()["error"] == "unsupported_media_type"
    assert phrase in response.json()["detail"]
    assert ingest.stored() == []


def test_content_type_with_charset_is_accepted(ingest: Ingest) -> None:
    headers = {"content-type": "application/json; charset=utf-8"}
    response = ingest.post({"event_name": "page_view"}, headers=headers)
    assert response.status_code == 202
    assert [r["event_id"] for r in ingest.stored()] == response.json()["event_ids"]


def test_body_over_limit_without_length_is_cut_off_while_reading_with_413(
    ingest: Ingest,
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"event_name": "page_view", "properties": {"x": "'
        for _ in range(40):
            yield b"a" * 65536
        yield b'"}}'

    response = httpx.post(
        ingest.url, content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert ingest.stored() == []


def test_gzip_bomb_stops_at_the_limit_with_413_and_stores_nothing(ingest: Ingest) -> None:
    inner = b'{"event_name": "page_view", "properties": {"x": "' + b"a" * 50_000_000 + b'"}}'
    bomb = gzip.compress(inner)
    assert len(bomb) < 1024 * 1024

    response = ingest.post(bomb, headers={"content-encoding": "gzip"})
    assert response.status_code == 413
    assert response.json()["error"] == "payload_too_large"
    assert ingest.stored() == []


def test_corrupt_gzip_returns_400(ingest: Ingest) -> None:
    response = ingest.post(b"\x1f\x8b not really gzip", headers={"content-encoding": "gzip"})
    assert response.status_code == 400
    assert "gzip" in response.json()["detail"]
    assert ingest.stored() == []


def test_limits_follow_settings(make_ingest: object) -> None:
    ingest = make_ingest(ingest_max_batch_events=2, ingest_ship_before_ack=True)  # type: ignore[operator]
    assert ingest.post([{"event_name": "a"}] * 2).status_code == 202
    response = ingest.post([{"event_name": "b"}] * 3)
    assert response.status_code == 413
    assert "at most 2" in response.json()["detail"]
    assert [r["event_name"] for r in ingest.stored()] == ["a", "a"]


def test_beacon_text_plain_body_is_parsed_as_json(ingest: Ingest) -> None:
    response = ingest.post(
        b'[{"event_name": "page_view"}]', headers={"content-type": "text/plain;charset=UTF-8"}
    )
    assert response.status_code == 202, response.text
    assert [r["event_name"] for r in ingest.stored()] == ["page_view"]
