"""Health, readiness, Prometheus metrics, the OpenAPI document and the quarantine sample."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from pathlib import Path

import httpx

from clickstream.events.jsonschema import event_json_schema
from tests.ingest.conftest import Ingest
from tests.ingest.test_spool import wait_for


def test_healthz_and_readyz_answer_when_spool_and_lake_work(ingest: Ingest) -> None:
    assert httpx.get(f"{ingest.server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{ingest.server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"spool_writable": True, "spool_has_room": True, "lake": True}


def test_readyz_is_503_when_the_lake_is_unreachable(
    tmp_path: Path, make_ingest: Callable[..., Ingest]
) -> None:
    blocker = tmp_path / "blocked"
    blocker.write_text("")
    ingest = make_ingest(lake_url=f"{blocker}/lake", ingest_spool_file_seconds=0.05)
    assert ingest.post({"event_name": "x"}).status_code == 202  # durable, but cannot ship
    wait_for(lambda: ingest.service.shipper.failures > 0)
    response = httpx.get(f"{ingest.server.url}/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["lake"] is False


def test_metrics_count_accepted_events_and_rejections_by_reason(ingest: Ingest) -> None:
    ingest.post([{"event_name": "a"}, {"event_name": "b"}])
    ingest.post(b"nope")
    ingest.post({"event_name": "a"}, headers={"content-type": "application/xml"})

    text = httpx.get(f"{ingest.server.url}/metrics").text
    assert "clickstream_ingest_accepted_events_total 2.0" in text
    assert 'clickstream_ingest_rejected_requests_total{reason="malformed_json"} 1.0' in text
    assert 'clickstream_ingest_rejected_requests_total{reason="unsupported_media_type"} 1.0' in text
    assert "clickstream_ingest_request_seconds_bucket" in text
    assert "clickstream_ingest_spool_bytes" in text
    assert "clickstream_ingest_ship_lag_seconds" in text


def test_openapi_document_describes_the_collect_endpoint_and_event_schema(ingest: Ingest) -> None:
    document = httpx.get(f"{ingest.server.url}/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    post = document["paths"]["/clickstream"]["post"]
    assert {"202", "400", "401", "413", "415", "429", "503"} <= set(post["responses"])
    event = document["components"]["schemas"]["Event"]
    assert event["required"] == ["event_name"]
    assert "LegacyEvent" in document["components"]["schemas"]
    assert event_json_schema()["$ref"].endswith("/Event")


def test_rejected_body_is_sampled_into_quarantine_with_its_reason(
    tmp_path: Path, make_ingest: Callable[..., Ingest]
) -> None:
    ingest = make_ingest(ingest_ship_before_ack=True, ingest_quarantine_per_minute=2)
    for _ in range(4):
        ingest.post({"event_name": "Bad Name"})
    ingest.post({"event_name": "fine"})  # ship_before_ack flushes the sample too

    files = list((ingest.lake_dir / "quarantine").rglob("*.ndjson.gz"))
    samples = [
        json.loads(line) for f in files for line in gzip.decompress(f.read_bytes()).splitlines()
    ]
    assert len(samples) == 2
    assert {s["reason"] for s in samples} == {"invalid_payload"}
    assert "Bad Name" in samples[0]["body_sample"]
    assert samples[0]["client_ip"] == "127.0.0.0"


def test_metrics_are_refused_to_clients_outside_the_allowed_networks(
    make_ingest: Callable[..., Ingest],
) -> None:
    ingest = make_ingest(ingest_metrics_networks="10.0.0.0/8")
    response = httpx.get(f"{ingest.server.url}/metrics")
    assert response.status_code == 404
    assert "clickstream_ingest" not in response.text
