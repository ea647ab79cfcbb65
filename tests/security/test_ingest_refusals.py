"""Hostile input at the ingest's door (issue 14): what the warehouse cannot hold is refused with
a 400 naming the field, an unexpected error is one JSON log line and a counted 5xx, and floods
of refusals are counted exactly but logged sparingly.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import structlog

from tests.conftest import free_port, wait_for_http
from tests.ingest.conftest import Ingest


def _metric(ingest: Ingest, line_start: str) -> float:
    for line in httpx.get(f"{ingest.server.url}/metrics").text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.split()[-1])
    return 0.0


@pytest.mark.parametrize("timestamp", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_timestamp_overflowing_utc_returns_400_naming_the_field_and_stores_nothing(
    ingest: Ingest, timestamp: str
) -> None:
    batch = [{"event_name": "page_view"}, {"event_name": "page_view", "event_timestamp": timestamp}]

    response = ingest.post(batch)

    assert response.status_code == 400, response.text
    payload = response.json()
    assert payload["error"] == "invalid_payload"
    assert payload["errors"][0]["index"] == 1
    assert payload["errors"][0]["field"] == "event_timestamp"
    assert "event_timestamp" in payload["detail"]
    assert ingest.stored() == []


NUL_CASES = [
    ({"event_name": "page_view", "page_url": "/a\u0000b"}, "page_url"),
    ({"event_name": "page_view", "properties": {"k": "v\u0000"}}, "properties.k"),
    ({"event_name": "page_view", "properties": {"a\u0000b": 1}}, "properties"),
    ({"event_name": "page_view", "properties": {"list": ["x", "\u0000"]}}, "properties.list[1]"),
    ({"event_name": "page_view", "referrer": "see \\u0000 here"}, "referrer"),
    ({"eventName": "page_view", "pageUrl": "/legacy\u0000"}, "page_url"),
]


@pytest.mark.parametrize(("event", "field"), NUL_CASES)
def test_nul_in_any_string_returns_400_naming_the_field_and_stores_nothing(
    ingest: Ingest, event: dict[str, object], field: str
) -> None:
    response = ingest.post([{"event_name": "fine"}, event])

    assert response.status_code == 400, response.text
    first = response.json()["errors"][0]
    assert (first["index"], first["field"]) == (1, field)
    assert "NUL" in first["message"]
    assert ingest.stored() == []


def test_rejections_are_counted_exactly_and_logged_at_most_once_a_second_per_reason(
    ingest: Ingest,
) -> None:
    started = time.monotonic()
    with structlog.testing.capture_logs() as logs:
        for _ in range(40):
            assert ingest.post(b"not json").status_code == 400
    elapsed = time.monotonic() - started

    lines = [entry for entry in logs if entry["event"] == "request_rejected"]
    assert 1 <= len(lines) <= 1 + int(elapsed) + 1
    assert len(lines) < 40
    counted = _metric(ingest, 'clickstream_ingest_rejected_requests_total{reason="malformed_json"}')
    assert counted == 40.0


def test_refused_cors_preflights_and_unlisted_origins_are_counted_and_logged(
    make_ingest: Callable[..., Ingest],
) -> None:
    ingest = make_ingest(ingest_cors_origins="https://shop.example")
    preflight = {"origin": "http://localhost:28000", "access-control-request-method": "POST"}

    with structlog.testing.capture_logs() as logs:
        for _ in range(3):
            refused = httpx.options(ingest.url, headers=preflight)
            assert refused.status_code == 403
        posted = ingest.post({"event_name": "x"}, headers={"origin": "http://localhost:28000"})
        assert "access-control-allow-origin" not in posted.headers
        allowed = httpx.options(ingest.url, headers={**preflight, "origin": "https://shop.example"})
        assert allowed.status_code == 204

    name = "clickstream_ingest_cors_refused_requests_total"
    assert _metric(ingest, f'{name}{{reason="preflight_origin_not_allowed"}}') == 3.0
    assert _metric(ingest, f'{name}{{reason="origin_not_allowed"}}') == 1.0
    refusals = [entry for entry in logs if entry["event"] == "cors_origin_refused"]
    assert [entry["reason"] for entry in refusals] == [
        "preflight_origin_not_allowed",
        "origin_not_allowed",
    ]
    assert refusals[0]["origin"] == "http://localhost:28000"


_FAULTY_INGEST = """
import sys, uvicorn
from clickstream.ingest.configuration import IngestSettings
from clickstream.ingest.http.app import build_app, build_service
from clickstream.ops.logging import configure_logging

configure_logging("info", component="ingest")
settings = IngestSettings()
service = build_service(settings)

def broken(*args, **kwargs):
    raise RuntimeError("a bug in the collector")

service.collector.prepare = broken  # the fault under test: an error nobody expected
uvicorn.run(build_app(settings, service), host="127.0.0.1", port=int(sys.argv[1]),
            access_log=False, log_level="warning")
"""


@pytest.fixture
def faulty_ingest(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """An ingest process configured as `ingest serve` is, whose collector always fails."""
    port = free_port()
    env = {
        **os.environ,
        "CLICKSTREAM_DATA_DIR": str(tmp_path / "data"),
        "CLICKSTREAM_LAKE_URL": str(tmp_path / "lake"),
        "CLICKSTREAM_NODE_ID": "faulty",
        "CLICKSTREAM_INGEST_RATE_LIMIT_PER_SECOND": "0",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", _FAULTY_INGEST, str(port)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/healthz", process)
    yield url, process
    if process.poll() is None:
        process.terminate()
        process.wait(timeout=20)


def test_unexpected_error_is_one_json_log_line_and_counted_as_a_server_error(
    faulty_ingest: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, process = faulty_ingest
    response = httpx.post(
        f"{url}/clickstream",
        content=b'{"event_name": "page_view"}',
        headers={"content-type": "application/json"},
    )
    metrics = httpx.get(f"{url}/metrics").text
    process.terminate()
    _, stderr = process.communicate(timeout=20)

    assert response.status_code == 500
    assert response.json()["error"] == "internal_error"
    assert 'clickstream_ingest_rejected_requests_total{reason="internal_error"} 1.0' in metrics
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    records = [json.loads(line) for line in lines]  # every line is JSON: no plain traceback
    failures = [r for r in records if r.get("msg") == "request_failed"]
    assert len(failures) == 1
    assert failures[0]["error"] == "RuntimeError"
    assert "a bug in the collector" in json.dumps(failures[0]["exception"])
