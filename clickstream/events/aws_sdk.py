"""The AWS Clickstream Analytics web SDK's events (`@aws/clickstream-web`) mapped onto ours.

That SDK posts a JSON array of its events to `<endpoint>?appId=...&platform=Web&...` (the
solution's ingestion server; its other SDKs may gzip the body). Its `app_id` / `appId` is our
site id. Each event has `event_type`, `event_id`, `device_id`, `timestamp` (Unix ms),
`attributes` (reserved ones start with `_`: `_session_id`, `_page_url`, `_page_referrer`, ...),
`items` and `user`. Preset names (`_page_view`, `_click`, `_search`, ...) become ours without
the underscore (`page_view`, `click`, `search`); GA4-style e-commerce names (`view_item`,
`add_to_cart`, `purchase` with `transaction_id`, `value`, `currency`) map onto ours, with
`items`. User attributes (names, e-mails) are not stored; the SDK's `_user_id` is kept as the
client's unverified claim `properties.aws_user_id`.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

EVENT_NAMES = {
    "_page_view": "page_view",
    "_screen_view": "screen_view",
    "_click": "click",
    "_search": "search",
    "_first_open": "first_open",
    "view_item": "product_view",
    "view_item_list": "category_view",
    "add_to_cart": "add_to_cart",
    "remove_from_cart": "remove_from_cart",
    "begin_checkout": "begin_checkout",
    "purchase": "purchase",
    "login": "login",
    "sign_up": "sign_up",
}
_PRODUCT_EVENTS = {"product_view", "add_to_cart", "remove_from_cart"}
_ORDER_EVENTS = {"begin_checkout", "purchase"}
# The fields an SDK item keeps as an `items` line, and the attributes an order is read from.
ITEM_FIELDS = ("id", "name", "category", "brand", "price", "quantity")
ORDER_ATTRIBUTES = {"transaction_id", "order_id", "value", "currency", "total"}
_NOT_NAME = re.compile(r"[^a-z0-9]+")


class AwsPayloadInvalid(ValueError):
    """The body is not an array of the SDK's events; the message says what is wrong."""


def event_name(name: Any) -> Any:
    """Our name for the SDK's `event_type`."""
    if not isinstance(name, str):
        return name
    if name in EVENT_NAMES:
        return EVENT_NAMES[name]
    snake = _NOT_NAME.sub("_", name.lower()).strip("_")
    if snake and not snake[0].isalpha():
        snake = "e_" + snake
    return snake[:64] or name


def _item(item: dict[str, Any]) -> dict[str, Any]:
    line = {k: item[k] for k in ITEM_FIELDS if item.get(k) is not None}
    if "id" in line:
        line["id"] = str(line["id"])
    return line


def _millis(value: Any) -> Any:
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC).isoformat()
        except (OverflowError, OSError, ValueError):
            return value  # validation names the problem
    return value


def to_event(raw: dict[str, Any]) -> dict[str, Any]:
    """The canonical event dict for one SDK event."""
    attributes = raw.get("attributes")
    attributes = attributes if isinstance(attributes, dict) else {}
    name = event_name(raw.get("event_type"))
    event: dict[str, Any] = {"event_name": name}
    for theirs, ours in (("event_id", "event_id"), ("device_id", "client_id")):
        if raw.get(theirs) is not None:
            event[ours] = raw[theirs]
    if raw.get("timestamp") is not None:
        event["event_timestamp"] = _millis(raw["timestamp"])
    if attributes.get("_session_id") is not None:
        event["session_id"] = attributes["_session_id"]
    if name == "first_open" or attributes.get("_is_first_time") is True:
        event["is_first_visit"] = True
    if attributes.get("_page_url") is not None:
        event["page_url"] = attributes["_page_url"]
    referrer = attributes.get("_page_referrer") or attributes.get("_latest_referrer")
    if referrer:
        event["referrer"] = referrer
    items = raw.get("items")
    lines = [_item(i) for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    if lines:
        event["items"] = lines
        if name in _PRODUCT_EVENTS:
            event["product"] = {k: v for k, v in lines[0].items()}
    if name in _ORDER_EVENTS:
        order: dict[str, Any] = {}
        ident = attributes.get("transaction_id", attributes.get("order_id"))
        if ident is not None:
            order["id"] = str(ident)
        total = attributes.get("value", attributes.get("total"))
        if total is not None:
            order["total"] = total
        if isinstance(attributes.get("currency"), str):
            order["currency"] = attributes["currency"].upper()
        if lines:
            order["item_count"] = sum(
                line["quantity"] if isinstance(line.get("quantity"), int) else 1 for line in lines
            )
        if order:
            event["order"] = order
    properties = {
        k: v for k, v in attributes.items() if not k.startswith("_") and k not in ORDER_ATTRIBUTES
    }
    if isinstance(attributes.get("_page_title"), str):
        properties["page_title"] = attributes["_page_title"]
    user = raw.get("user")
    claimed = user.get("_user_id") if isinstance(user, dict) else None
    if isinstance(claimed, dict) and claimed.get("value") is not None:
        properties["aws_user_id"] = str(claimed["value"])
    if properties:
        event["properties"] = properties
    return event


def to_events(payload: Any) -> list[dict[str, Any]]:
    """The canonical event dicts of an SDK body (a JSON array of its events)."""
    if not isinstance(payload, list):
        raise AwsPayloadInvalid("the body is a JSON array of events")
    events = []
    for index, raw in enumerate(payload):
        if not isinstance(raw, dict):
            raise AwsPayloadInvalid(f"event {index} is not a JSON object")
        events.append(to_event(raw))
    return events


def app_id_of(payload: Any) -> str | None:
    """The `app_id` the events carry, when they all carry the same one."""
    if not isinstance(payload, list):
        return None
    ids = {raw.get("app_id") for raw in payload if isinstance(raw, dict)}
    if len(ids) != 1:
        return None
    (only,) = ids
    return only if isinstance(only, str) else None
