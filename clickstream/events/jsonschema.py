"""The JSON Schema of the event contract, generated from the msgspec types (one source)."""

from __future__ import annotations

from typing import Any

import msgspec

from clickstream.events.legacy import LEGACY_EVENT_NAMES
from clickstream.events.schema import Event

REF_PREFIX = "#/components/schemas/"


def legacy_event_schema() -> dict[str, Any]:
    """The original storefront's camelCase event, accepted and mapped (docs/contracts.md)."""
    text = {"type": "string", "maxLength": 2048}
    return {
        "title": "LegacyEvent",
        "description": "The original storefront's camelCase payload; mapped to Event. "
        f"Aliased names: {', '.join(sorted(LEGACY_EVENT_NAMES))}.",
        "type": "object",
        "required": ["eventName"],
        "properties": {
            "eventName": {"type": "string"},
            "pageUrl": text,
            "referrer": text,
            "userId": {"description": "ignored: identity comes from a verified token"},
            "userLoginState": {"enum": ["logged_in", "anonymous"]},
            "clientId": text,
            "sessionId": text,
            "isFirstVisit": {"type": "boolean"},
            "product": {"type": "object"},
            "element": {"type": "object"},
        },
    }


def components() -> dict[str, Any]:
    """Schemas for `Event`, its parts and `LegacyEvent`, keyed for `#/components/schemas/`."""
    (_,), found = msgspec.json.schema_components([Event], ref_template=REF_PREFIX + "{name}")
    found["LegacyEvent"] = legacy_event_schema()
    return dict(found)


def event_json_schema() -> dict[str, Any]:
    """A standalone JSON Schema (2020-12) for one canonical event."""
    return msgspec.json.schema(Event)
