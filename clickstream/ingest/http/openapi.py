"""The OpenAPI 3.1 document served at `/openapi.json`: every path the ingest app serves.

It is built from what the handlers themselves use: the collect paths (`COLLECT_PATH`, the
Segment paths of `events/segment.py`, `AWS_SDK_PATH`), the media types the endpoint reads, the
refusals (`openapi_refusals.py`, from the `Rejected` classes), the event contract and the other
formats' schemas (`events/jsonschema.py`, `events/foreign_schemas.py`), and the tracker's
paths. `tests/ingest/test_openapi.py` fails when the assembled app serves a path the document
does not describe.
"""

from __future__ import annotations

from typing import Any

from clickstream import __version__
from clickstream.events.foreign_schemas import foreign_components
from clickstream.events.jsonschema import REF_PREFIX, components
from clickstream.events.segment import SEGMENT_PATHS
from clickstream.ingest.http.endpoint import ACCEPTED_MEDIA_TYPES, AWS_SDK_PATH, COLLECT_PATH
from clickstream.ingest.http.openapi_refusals import (
    REQUEST_ID,
    error_schema,
    refusal_responses,
)
from clickstream.ingest.http.tracker_file import MANIFEST_PATH, STABLE_PATH, VERSIONED_PATH

_ENCODING = {
    "name": "Content-Encoding",
    "in": "header",
    "required": False,
    "schema": {"enum": ["gzip", "identity"]},
    "description": "A gzipped body is inflated within the same byte limit.",
}
_SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "The signed-in user's access or ID token, verified against the issuer's "
        "JWKS; a refused token is a 401. Required only with CLICKSTREAM_INGEST_AUTH=required.",
    },
    "writeKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Write-Key",
        "description": "The site's write key, for a site registered with one.",
    },
    "segmentWriteKey": {
        "type": "http",
        "scheme": "basic",
        "description": "Segment's write key as the Basic user name (the password is empty "
        "and ignored); it names the site. analytics.js sends it as the body's `writeKey`.",
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": REF_PREFIX + name}


def _accepted(status: str) -> dict[str, Any]:
    return {
        status: {
            "description": "Every event is durable on this node and will reach the lake.",
            "headers": REQUEST_ID,
            "content": {"application/json": {"schema": _ref("Accepted")}},
        }
    }


def _collect(
    operation_id: str,
    summary: str,
    description: str,
    body: dict[str, Any],
    security: list[dict[str, list[str]]],
    success: str = "202",
    parameters: tuple[dict[str, Any], ...] = (),
) -> dict[str, Any]:
    """A POST that collects events: the body forms, its auth and every answer."""
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "description": description + " The body may be sent as `text/plain` too (a "
            "beacon), and is read as JSON all the same. A batch is atomic.",
            "security": security,
            "parameters": [_ENCODING, *parameters],
            "requestBody": {
                "required": True,
                "content": {media: {"schema": body} for media in sorted(ACCEPTED_MEDIA_TYPES)},
            },
            "responses": {**_accepted(success), **refusal_responses()},
        }
    }


def _canonical() -> dict[str, Any]:
    one = {"oneOf": [_ref("Event"), _ref("LegacyEvent")]}
    return _collect(
        "collect",
        "Collect behaviour events",
        'One event, an array of events or {"events": [...]}.',
        {"oneOf": [one, _ref("Batch"), _ref("Envelope")]},
        [{}, {"bearer": []}, {"writeKey": []}, {"bearer": [], "writeKey": []}],
        parameters=(
            {
                "name": "cookieless",
                "in": "query",
                "required": False,
                "schema": {"enum": ["1"]},
                "description": "The tracker's cookieless mode: visitors are counted by a "
                "daily-rotating salted hash made on the server.",
            },
        ),
    )


def _segment(path: str, kind: str) -> dict[str, Any]:
    full = f"/v1/{kind}"
    alias = f" (analytics.js's short form of `{full}`)" if path != full else ""
    body = _ref("SegmentBatch") if kind == "batch" else _ref("SegmentMessage")
    return _collect(
        f"segment_{kind}" + ("_short" if alias else ""),
        f"Segment HTTP API: {kind}{alias}",
        "Segment messages become canonical events of the write key's site; an unknown or "
        "missing write key is a 403.",
        body,
        [{"segmentWriteKey": []}, {}, {"bearer": []}],
    )


def _aws_sdk() -> dict[str, Any]:
    return _collect(
        "aws_clickstream_sdk",
        "AWS Clickstream Analytics SDK",
        "What `@aws/clickstream-web` posts to its ingestion server: an array of its events, "
        "for the app id's site. Success is a 200 (the SDK retries anything else).",
        _ref("AwsSdkBatch"),
        [{}, {"writeKey": []}, {"bearer": []}],
        success="200",
        parameters=(
            {
                "name": "appId",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "The site id; without it every event must carry the same `app_id`.",
            },
            {
                "name": "compression",
                "in": "query",
                "required": False,
                "schema": {"enum": ["gzip"]},
                "description": "The body is gzipped (as `Content-Encoding: gzip`).",
            },
        ),
    )


def _get(summary: str, responses: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"get": {"summary": summary, "responses": responses, **more}}


def _tracker_paths() -> dict[str, Any]:
    script = {"text/javascript": {"schema": {"type": "string"}}}
    served = {"200": {"description": "The tracker", "content": script}}
    served["304"] = {"description": "Unchanged (If-None-Match)"}
    return {
        STABLE_PATH: _get(
            "The browser tracker (revalidated hourly by ETag; HEAD too)",
            served,
        ),
        VERSIONED_PATH: _get(
            "The same tracker under its content hash, immutable, for Subresource Integrity",
            served,
            parameters=[
                {
                    "name": "digest",
                    "in": "path",
                    "required": True,
                    "schema": {"type": "string", "pattern": "^[0-9a-f]{16}$"},
                }
            ],
        ),
        MANIFEST_PATH: _get(
            "The tracker's stable and versioned URLs and its SRI hash",
            {
                "200": {
                    "description": "URLs on the host the request named",
                    "content": {"application/json": {"schema": _ref("TrackerManifest")}},
                }
            },
        ),
    }


def _status_paths() -> dict[str, Any]:
    plain = {"200": {"description": "OK"}}
    return {
        "/healthz": _get("Liveness", plain),
        "/readyz": _get(
            "Readiness: spool writable, lake reachable",
            {**plain, "503": {"description": "Not ready; `checks` says which part"}},
        ),
        "/metrics": _get(
            "Prometheus metrics",
            {**plain, "404": {"description": "The peer is outside the metrics networks"}},
        ),
        "/live": _get(
            "The last 30 minutes' provisional counters, per minute and site",
            {**plain, "404": {"description": "Outside the metrics networks, or turned off"}},
        ),
        "/openapi.json": _get("This document", plain),
    }


def _schemas() -> dict[str, Any]:
    schemas = components()
    schemas.update(foreign_components(REF_PREFIX))
    one_event = {"oneOf": [_ref("Event"), _ref("LegacyEvent")]}
    schemas["Batch"] = {"type": "array", "minItems": 1, "items": one_event}
    schemas["Envelope"] = {
        "type": "object",
        "required": ["events"],
        "properties": {"events": _ref("Batch")},
    }
    schemas["Accepted"] = {
        "type": "object",
        "required": ["accepted", "event_ids"],
        "properties": {
            "accepted": {"type": "integer"},
            "event_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        },
    }
    schemas["Error"] = error_schema()
    schemas["TrackerManifest"] = {
        "type": "object",
        "required": ["url", "versioned_url", "integrity"],
        "properties": {
            "url": {"type": "string"},
            "versioned_url": {"type": "string"},
            "integrity": {"type": "string", "pattern": "^sha384-"},
        },
    }
    return schemas


def openapi_document() -> dict[str, Any]:
    """The API description: every path the ingest app serves, its bodies and its refusals."""
    paths: dict[str, Any] = {COLLECT_PATH: _canonical()}
    for path, kind in SEGMENT_PATHS.items():
        paths[path] = _segment(path, kind)
    paths[AWS_SDK_PATH] = _aws_sdk()
    paths.update(_tracker_paths())
    paths.update(_status_paths())
    return {
        "openapi": "3.1.0",
        "info": {"title": "Clickstream ingest API", "version": __version__},
        "paths": paths,
        "components": {"schemas": _schemas(), "securitySchemes": _SECURITY_SCHEMES},
    }
