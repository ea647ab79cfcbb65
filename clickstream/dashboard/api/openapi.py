"""The API's OpenAPI 3.1 document, generated from the same catalogue the routes serve."""

from __future__ import annotations

import functools
from typing import Any, Final

from clickstream.dashboard.api.arguments import BOOLEANS, COMMON, LOGINS
from clickstream.dashboard.api.catalogue import Endpoint, Extra, endpoints

OPENAPI_PATH: Final = "/api/v1/openapi.json"
_ERRORS = {
    "400": "A parameter is malformed, unknown or missing; the message names it.",
    "401": "No bearer token, or one that is not known.",
    "403": "The token may not read a site asked for, or a statement that does not filter by "
    "site; the message names it.",
    "404": "No such page or statement.",
    "503": "The warehouse could not answer.",
}


def _common_parameter(name: str, description: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if name in ("start", "end"):
        schema = {"type": "string", "format": "date"}
    elif name == "login":
        schema = {"type": "string", "enum": list(LOGINS), "default": "all"}
    elif name == "bots":
        schema = {"type": "string", "enum": list(BOOLEANS), "default": "false"}
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _extra_parameter(extra: Extra) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": extra.kind}
    if extra.kind == "steps":
        # Repeated in the query string (form style, exploded): ?step=page:/&step=event:purchase
        item = {"type": "string", "pattern": "^(event|page|goal):.+$"}
        schema = {"type": "array", "items": item, "minItems": 1, "maxItems": extra.maximum}
    elif extra.kind == "window":
        schema = {"type": "string", "pattern": "^(session|none|[0-9]{1,3}d)$"}
    elif extra.kind == "integer":
        schema.update(minimum=1, maximum=extra.maximum)
    if extra.choices:
        schema["enum"] = list(extra.choices)
    if extra.default is not None:
        schema["default"] = extra.default
    return {
        "name": extra.name,
        "in": "query",
        "required": extra.default is None,
        "description": extra.description,
        "schema": schema,
    }


def _operation(endpoint: Endpoint) -> dict[str, Any]:
    site_note = (
        "Filters by site."
        if endpoint.site_aware
        else "Does not filter by site: only a token for all sites may read it."
    )
    responses: dict[str, Any] = {
        "200": {
            "description": "The statement's rows and the parameters it ran with.",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Answer"}}},
        }
    }
    for status, text in _ERRORS.items():
        responses[status] = {
            "description": text,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    return {
        "operationId": f"{endpoint.page}_{endpoint.name}",
        "tags": [endpoint.page],
        "summary": f"{endpoint.page}.sql, statement {endpoint.name}",
        "description": f"{endpoint.description} {site_note}".strip(),
        "parameters": [
            *(_common_parameter(name, text) for name, text in COMMON.items()),
            *(_extra_parameter(extra) for extra in endpoint.extras),
        ],
        "responses": responses,
    }


@functools.cache
def document() -> dict[str, Any]:
    """The OpenAPI document: one GET path per served statement (built once; not to be
    changed by callers)."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Clickstream dashboard API",
            "version": "1",
            "description": "Read-only: the rows each dashboard panel's statement returns, for "
            "a period, sites and filters. Dates are ISO 8601 (UTC), decimals are strings "
            "(exact), counts are integers. Tokens: `clickstream api-tokens add`.",
        },
        "paths": {e.path: {"get": _operation(e)} for e in endpoints().values()},
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Answer": {
                    "type": "object",
                    "required": ["rows", "filters"],
                    "properties": {
                        "rows": {"type": "array", "items": {"type": "object"}},
                        "filters": {
                            "type": "object",
                            "description": "Every parameter the statement ran with, including "
                            "the previous period (prev_start, prev_end) and sites (null: all).",
                        },
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
            },
        },
    }
