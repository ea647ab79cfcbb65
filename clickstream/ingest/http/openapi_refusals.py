"""The refusals of the collect paths for the OpenAPI document, from the `Rejected` classes.

Every path that collects events runs the same checks (`CollectEndpoint`, then the core's
`prepare`), so each can answer every refusal. Each subclass of `Rejected` is one reason code
under its status; a new refusal class appears in the document without anyone editing it.
"""

from __future__ import annotations

import inspect
from typing import Any

from clickstream.events.jsonschema import REF_PREFIX
from clickstream.ingest.core.errors import MethodNotAllowed, Rejected, Unauthorized

REQUEST_ID = {
    "X-Request-Id": {
        "description": "This request's id, as logged",
        "schema": {"type": "string"},
    }
}
# Headers `CollectEndpoint._refuse` adds for these refusals.
_EXTRA_HEADERS: dict[type[Rejected], tuple[str, str]] = {
    MethodNotAllowed: ("Allow", "POST, OPTIONS"),
    Unauthorized: ("WWW-Authenticate", 'Bearer realm="clickstream"'),
}


def refusal_classes() -> list[type[Rejected]]:
    """Every concrete refusal, by status then reason code."""
    found: list[type[Rejected]] = []
    pending = list(Rejected.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return sorted(found, key=lambda cls: (cls.status, cls.reason))


def _summary(cls: type[Rejected]) -> str:
    return (inspect.getdoc(cls) or cls.reason).split("\n", 1)[0]


def _retries(cls: type[Rejected]) -> bool:
    """True when the class always carries a Retry-After (its constructor requires one)."""
    parameter = inspect.signature(cls.__init__).parameters.get("retry_after")
    return parameter is not None and parameter.default is inspect.Parameter.empty


def _response(classes: list[type[Rejected]]) -> dict[str, Any]:
    headers: dict[str, Any] = dict(REQUEST_ID)
    if any(_retries(cls) for cls in classes):
        headers["Retry-After"] = {
            "description": "Seconds to wait before sending the same events again",
            "schema": {"type": "integer"},
        }
    for cls in classes:
        if cls in _EXTRA_HEADERS:
            name, value = _EXTRA_HEADERS[cls]
            headers[name] = {"schema": {"type": "string", "example": value}}
    reasons = [cls.reason for cls in classes]
    return {
        "description": " ".join(f"`{cls.reason}`: {_summary(cls)}" for cls in classes),
        "headers": headers,
        "content": {
            "application/json": {
                "schema": {
                    "$ref": REF_PREFIX + "Error",
                    "properties": {"error": {"enum": reasons}},
                },
                "examples": {
                    cls.reason: {"value": {"error": cls.reason, "detail": _summary(cls)}}
                    for cls in classes
                },
            }
        },
    }


def refusal_responses() -> dict[str, Any]:
    """The 4xx and 5xx answers of a collect path, keyed by status."""
    by_status: dict[int, list[type[Rejected]]] = {}
    for cls in refusal_classes():
        by_status.setdefault(cls.status, []).append(cls)
    return {str(status): _response(classes) for status, classes in by_status.items()}


def error_schema() -> dict[str, Any]:
    """The body of every refusal (`Rejected.payload`)."""
    return {
        "type": "object",
        "required": ["error", "detail"],
        "properties": {
            "error": {
                "type": "string",
                "description": "The reason code",
                "enum": sorted({cls.reason for cls in refusal_classes()}),
            },
            "detail": {"type": "string", "description": "What was wrong, in words"},
            "errors": {
                "type": "array",
                "description": "Each bad event, by its index in the batch and its field",
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
