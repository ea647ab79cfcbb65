"""The ingest's OpenAPI document: a valid OpenAPI 3.1 document describing every path the
assembled app serves (so it cannot drift from the app), whose refusals are the ones the
routes really answer, over real HTTP."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from starlette.applications import Starlette

from clickstream.ingest.http.app import build_app
from tests.ingest.conftest import Ingest, settings_for


def served_paths(app: Any) -> set[str]:
    """The paths each layer of the ingest app serves, walking down to its Starlette app."""
    found: set[str] = set()
    layer = app
    while not isinstance(layer, Starlette):
        found |= set(getattr(layer, "paths", ()))
        layer = getattr(layer, "app", None) or getattr(layer, "fallback", None)
        assert layer is not None, "a layer of the ingest app hides what it wraps"
    return found | {route.path for route in layer.routes}


def _matches(template: str, path: str) -> bool:
    pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template))
    return re.fullmatch(pattern, path) is not None


def test_the_document_is_valid_and_describes_every_path_the_app_serves(
    ingest: Ingest, tmp_path: Path
) -> None:
    document = httpx.get(f"{ingest.server.url}/openapi.json").json()
    validate(document)  # OpenAPI 3.1, every $ref resolving
    served = served_paths(build_app(settings_for(tmp_path / "other"), ingest.service))
    assert {"/clickstream", "/v1/batch", "/v1/track", "/collect", "/clickstream.js"} <= served
    documented = set(document["paths"])
    missing = {p for p in served if not any(_matches(t, p) for t in documented)}
    assert missing == set(), f"served but not in /openapi.json: {sorted(missing)}"
    stale = {t for t in documented if not any(_matches(t, p) for p in served)}
    assert stale == set(), f"in /openapi.json but not served: {sorted(stale)}"
    # Segment's write key is HTTP Basic on every Segment path.
    assert document["components"]["securitySchemes"]["segmentWriteKey"]["scheme"] == "basic"
    for path in ("/v1/batch", "/v1/t", "/v1/identify"):
        assert {"segmentWriteKey": []} in document["paths"][path]["post"]["security"]


def _check(document: dict[str, Any], path: str, answer: httpx.Response) -> str:
    """The answer's status is documented for `path`, and its body fits the documented schema."""
    responses = document["paths"][path]["post"]["responses"]
    status = str(answer.status_code)
    assert status in responses, f"{path} answered {status}, which is not documented"
    schema = responses[status]["content"]["application/json"]["schema"]
    Draft202012Validator({**schema, "components": document["components"]}).validate(answer.json())
    return str(answer.json().get("error", status))


def test_each_route_answers_only_what_the_document_says(ingest: Ingest) -> None:
    base = ingest.server.url
    document = httpx.get(f"{base}/openapi.json").json()
    page_view = [{"event_type": "_page_view", "device_id": "d1", "timestamp": 1764547200000}]
    answers = {
        ("/clickstream", "ok"): httpx.post(f"{base}/clickstream", json={"event_name": "page_view"}),
        ("/clickstream", "bad"): httpx.post(f"{base}/clickstream", json={"event_name": "Bad"}),
        ("/clickstream", "xml"): httpx.post(
            f"{base}/clickstream", content=b"<a/>", headers={"content-type": "application/xml"}
        ),
        ("/v1/batch", "no key"): httpx.post(f"{base}/v1/batch", json={"batch": []}),
        ("/v1/track", "wrong key"): httpx.post(
            f"{base}/v1/track", json={"event": "x"}, auth=("k-wrong", "")
        ),
        ("/v1/p", "not json"): httpx.post(
            f"{base}/v1/p", content=b"{", headers={"content-type": "text/plain"}
        ),
        ("/collect", "ok"): httpx.post(f"{base}/collect?appId=default", json=page_view),
        ("/collect", "no app"): httpx.post(f"{base}/collect", json=[{"event_type": "_click"}]),
        ("/collect", "unknown app"): httpx.post(f"{base}/collect?appId=nosuch", json=page_view),
    }
    reasons = {key: _check(document, key[0], answer) for key, answer in answers.items()}
    assert reasons == {
        ("/clickstream", "ok"): "202",
        ("/clickstream", "bad"): "invalid_payload",
        ("/clickstream", "xml"): "unsupported_media_type",
        ("/v1/batch", "no key"): "write_key_refused",
        ("/v1/track", "wrong key"): "write_key_refused",
        ("/v1/p", "not json"): "malformed_json",
        ("/collect", "ok"): "200",
        ("/collect", "no app"): "invalid_payload",
        ("/collect", "unknown app"): "unknown_site",
    }
    wrong_method = httpx.get(f"{base}/v1/track")
    assert wrong_method.status_code == 405
    assert _check(document, "/v1/track", wrong_method) == "method_not_allowed"
    assert "Allow" in document["paths"]["/v1/track"]["post"]["responses"]["405"]["headers"]
