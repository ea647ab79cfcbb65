"""JSON Schemas of the other trackers' bodies: the Segment HTTP API's messages and the AWS
Clickstream SDK's events, for the ingest's OpenAPI document.

They are built from the names and fields the mappings in `segment.py` and `aws_sdk.py` read,
so the document says what the ingest takes. Both formats are open: fields the mappings do not
read are accepted and ignored, as Segment's and the AWS solution's own servers do.
"""

from __future__ import annotations

from typing import Any

from clickstream.events import aws_sdk, segment

_TEXT = {"type": "string"}
_OBJECT = {"type": "object"}


def _names(mapping: dict[str, str]) -> str:
    return "; ".join(f"`{theirs}` -> `{ours}`" for theirs, ours in mapping.items())


def _segment_product() -> dict[str, Any]:
    ids = segment.PRODUCT_ID_FIELDS
    fields: dict[str, Any] = {name: {"type": ["string", "number"]} for name in ids}
    for name in segment.ITEM_FIELDS:
        fields[name] = {"type": "number"} if name == "price" else _TEXT
    fields["quantity"] = {"type": "integer", "minimum": 1}
    return {
        "type": "object",
        "description": "A spec product; the first of "
        f"{', '.join(segment.PRODUCT_ID_FIELDS)} is its id. Becomes an `items` line.",
        "properties": fields,
    }


def _segment_message(ref: str) -> dict[str, Any]:
    kinds = sorted({kind for kind in segment.SEGMENT_PATHS.values() if kind != "batch"})
    return {
        "type": "object",
        "description": "One Segment message (https://segment.com/docs/connections/sources/"
        "catalog/libraries/server/http-api/). `anonymousId` is the client id; `userId` is "
        "kept only as the unverified `properties.segment_user_id`; `traits` are not stored.",
        "properties": {
            "type": {
                "enum": kinds,
                "description": "Required in a batch; a single message takes its path's type.",
            },
            "event": {
                "type": "string",
                "description": "A track's name. The e-commerce spec's names map to ours ("
                + _names(segment.SEGMENT_EVENT_NAMES)
                + "); any other becomes its snake_case form.",
            },
            "messageId": {
                "type": "string",
                "description": "The event id (a non-UUID id becomes a stable UUIDv5).",
            },
            "anonymousId": _TEXT,
            "userId": _TEXT,
            "timestamp": {"type": "string", "format": "date-time"},
            "originalTimestamp": {"type": "string", "format": "date-time"},
            "name": {"type": "string", "description": "A page's name (`properties.page_name`)."},
            "category": _TEXT,
            "properties": {
                "type": "object",
                "description": "`url`, `referrer`, a product's fields, `products[]`, "
                "`order_id`/`checkout_id`, `total`/`revenue`/`value` and `currency` become "
                "our fields; the rest stays in `properties`.",
                "properties": {
                    "url": _TEXT,
                    "referrer": _TEXT,
                    "products": {"type": "array", "items": {"$ref": ref + "SegmentProduct"}},
                    "order_id": {"type": ["string", "number"]},
                    "total": {"type": "number"},
                    "currency": _TEXT,
                },
            },
            "context": {
                "type": "object",
                "properties": {
                    "page": {"type": "object", "properties": {"url": _TEXT, "referrer": _TEXT}}
                },
            },
            "traits": {**_OBJECT, "description": "Not stored."},
            "writeKey": {"type": "string", "description": "The write key, when not in Basic auth."},
        },
    }


def _segment_batch(ref: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["batch"],
        "properties": {
            "batch": {"type": "array", "items": {"$ref": ref + "SegmentMessage"}},
            "context": {**_OBJECT, "description": "Given to messages that carry none."},
            "writeKey": {"type": "string", "description": "The write key, when not in Basic auth."},
        },
    }


def _aws_sdk_event() -> dict[str, Any]:
    fields: dict[str, Any] = {
        name: {"type": "number"} if name == "price" else _TEXT for name in aws_sdk.ITEM_FIELDS
    }
    fields["quantity"] = {"type": "integer", "minimum": 1}
    items = {"type": "object", "properties": fields}
    return {
        "type": "object",
        "description": "One event of `@aws/clickstream-web` (the AWS Clickstream Analytics "
        "solution's SDK). User attributes are not stored; `user._user_id` is kept only as the "
        "unverified `properties.aws_user_id`.",
        "properties": {
            "event_type": {
                "type": "string",
                "description": "Preset and e-commerce names map to ours ("
                + _names(aws_sdk.EVENT_NAMES)
                + "); any other becomes its snake_case form.",
            },
            "event_id": {"type": "string", "format": "uuid"},
            "device_id": {"type": "string", "description": "The client id."},
            "app_id": {"type": "string", "description": "The site id, when `appId` is absent."},
            "timestamp": {"type": "integer", "description": "Unix time in milliseconds."},
            "attributes": {
                "type": "object",
                "description": "`_session_id`, `_page_url`, `_page_referrer`, "
                "`_latest_referrer`, `_page_title`, `_is_first_time` and the order's "
                f"{', '.join(sorted(aws_sdk.ORDER_ATTRIBUTES))} become our fields; other "
                "names without a leading `_` go to `properties`.",
            },
            "items": {"type": "array", "items": items},
            "user": _OBJECT,
        },
    }


def foreign_components(ref: str) -> dict[str, Any]:
    """The schemas of both formats, keyed for `ref` (`#/components/schemas/`)."""
    return {
        "SegmentProduct": _segment_product(),
        "SegmentMessage": _segment_message(ref),
        "SegmentBatch": _segment_batch(ref),
        "AwsSdkEvent": _aws_sdk_event(),
        "AwsSdkBatch": {"type": "array", "items": {"$ref": ref + "AwsSdkEvent"}},
    }
