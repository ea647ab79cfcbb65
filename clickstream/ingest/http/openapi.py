"""The OpenAPI 3.1 document served at `/openapi.json`."""

from __future__ import annotations

from typing import Any

from clickstream import __version__
from clickstream.events.jsonschema import REF_PREFIX, components


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "Error"}}},
    }


def openapi_document(limits_note: str = "") -> dict[str, Any]:
    """The API description: `POST /clickstream` with its body forms and every refusal."""
    schemas = components()
    one_event = {"oneOf": [{"$ref": REF_PREFIX + "Event"}, {"$ref": REF_PREFIX + "LegacyEvent"}]}
    schemas["Batch"] = {"type": "array", "minItems": 1, "items": one_event}
    schemas["Envelope"] = {
        "type": "object",
        "required": ["events"],
        "properties": {"events": {"$ref": REF_PREFIX + "Batch"}},
    }
    schemas["Accepted"] = {
        "type": "object",
        "required": ["accepted", "event_ids"],
        "properties": {
            "accepted": {"type": "integer"},
            "event_ids": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        },
    }
    schemas["Error"] = {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {"type": "string"},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "index": {"type": "integer"},
                        "field": {"type": ["string", "null"]},
                        "message": {"type": "string"},
                    },
                },
            },
        },
    }
    body_schema = {
        "oneOf": [
            one_event,
            {"$ref": REF_PREFIX + "Batch"},
            {"$ref": REF_PREFIX + "Envelope"},
        ]
    }
    collect = {
        "summary": "Collect behaviour events",
        "description": 'One event, an array of events or {"events": [...]}; gzip '
        "Content-Encoding accepted. A batch is atomic. " + limits_note,
        "security": [{}, {"bearer": []}],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": body_schema}},
        },
        "responses": {
            "202": {
                "description": "Every event is durable on this node and will reach the lake.",
                "content": {"application/json": {"schema": {"$ref": REF_PREFIX + "Accepted"}}},
            },
            "400": _error("Malformed JSON, not UTF-8, or an invalid event (by index and field)."),
            "401": _error("A bearer token was refused, or one is required."),
            "405": _error("Any method but POST."),
            "413": _error("Body, batch or event over its limit."),
            "415": _error("Not application/json, or an encoding other than gzip."),
            "429": _error("Rate limit; see Retry-After."),
            "500": _error("An unexpected error (a bug); nothing was acknowledged."),
            "503": _error("The spool cannot take events now; see Retry-After."),
        },
    }
    plain = {"200": {"description": "OK"}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "Clickstream ingest API", "version": __version__},
        "paths": {
            "/clickstream": {"post": collect},
            "/healthz": {"get": {"summary": "Liveness", "responses": plain}},
            "/readyz": {
                "get": {
                    "summary": "Readiness: spool writable, lake reachable",
                    "responses": {**plain, "503": {"description": "Not ready"}},
                }
            },
            "/metrics": {"get": {"summary": "Prometheus metrics", "responses": plain}},
            "/live": {
                "get": {
                    "summary": "The last 30 minutes' provisional counters, per minute and site",
                    "responses": {**plain, "404": {"description": "Not private, or off"}},
                }
            },
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            },
        },
    }
