"""The Segment HTTP API's messages (track, page, screen, identify, batch) mapped onto the event.

What Segment's analytics.js, RudderStack's and Jitsu's SDKs send (`/v1/track`, `/v1/page`,
`/v1/identify`, `/v1/batch`, and analytics.js's short `/v1/t`, `/v1/p`, `/v1/i`) becomes
canonical event dicts, validated afterwards like any other. Segment's e-commerce spec
(https://segment.com/docs/connections/spec/ecommerce/v2/) maps to our standard names: a
product's fields to `product` and one `items` line, `products[]` to `items`, an order's
`order_id`/`total`/`currency` to `order`. Other event names become snake_case custom names.
`anonymousId` is the client id; `userId` and `traits` are the client's unverified claims: the
user id is kept as `properties.segment_user_id`, traits (names, e-mails) are not stored.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

# Segment's e-commerce and lifecycle event names -> ours.
SEGMENT_EVENT_NAMES = {
    "Products Searched": "search",
    "Product List Viewed": "category_view",
    "Product List Filtered": "category_view",
    "Product Clicked": "click",
    "Product Viewed": "product_view",
    "Product Added": "add_to_cart",
    "Product Removed": "remove_from_cart",
    "Cart Viewed": "cart_view",
    "Checkout Started": "begin_checkout",
    "Order Completed": "purchase",
    "Order Refunded": "refund",
    "Order Cancelled": "order_cancelled",
    "Signed Up": "sign_up",
    "Signed In": "login",
    "Signed Out": "logout",
}
# Message types by the paths analytics.js and the HTTP API post them to.
SEGMENT_PATHS = {
    "/v1/track": "track",
    "/v1/t": "track",
    "/v1/page": "page",
    "/v1/p": "page",
    "/v1/screen": "screen",
    "/v1/identify": "identify",
    "/v1/i": "identify",
    "/v1/batch": "batch",
    "/v1/b": "batch",
}
# A message id that is not a UUID (analytics.js sends `ajs-next-<hash>`) becomes this
# namespace's UUIDv5 of it, so a retried message keeps its event id and is stored once.
MESSAGE_ID_NAMESPACE = uuid.UUID("6f1c8a52-3a0e-4f36-9d43-0b7e5f5a2c11")
_NOT_NAME = re.compile(r"[^a-z0-9]+")
# A spec product's id (the first present) and the fields its `items` line takes as they are.
PRODUCT_ID_FIELDS = ("product_id", "sku", "id")
ITEM_FIELDS = ("name", "category", "brand", "variant", "price", "quantity")
_PRODUCT_EVENTS = {"product_view", "add_to_cart", "remove_from_cart", "click"}
_ORDER_EVENTS = {"begin_checkout", "purchase", "refund", "order_cancelled"}
# Spec fields that become our own fields, not properties.
_MAPPED = {
    *PRODUCT_ID_FIELDS,
    *ITEM_FIELDS,
    "url",
    "order_id",
    "checkout_id",
    "total",
    "revenue",
    "value",
    "currency",
    "products",
    "referrer",
    "path",
    "title",
}


class SegmentPayloadInvalid(ValueError):
    """The body is not a Segment message or batch; the message says what is wrong."""


def event_name(name: Any) -> Any:
    """Our name for Segment event `name`: the spec's standard names, others in snake_case."""
    if not isinstance(name, str):
        return name  # validation names the problem
    if name in SEGMENT_EVENT_NAMES:
        return SEGMENT_EVENT_NAMES[name]
    snake = _NOT_NAME.sub("_", name.strip().lower()).strip("_")
    if snake and not snake[0].isalpha():
        snake = "e_" + snake
    return snake[:64] or name


def _item(product: dict[str, Any]) -> dict[str, Any]:
    """One `items` line from a Segment product."""
    line: dict[str, Any] = {}
    ident = next((product[k] for k in PRODUCT_ID_FIELDS if product.get(k) is not None), None)
    if ident is not None:
        line["id"] = str(ident)
    for field in ITEM_FIELDS:
        if product.get(field) is not None:
            line[field] = product[field]
    return line


def _product(line: dict[str, Any]) -> dict[str, Any]:
    """The event's `product` from its item line (our product has no variant)."""
    fields = ("id", "name", "category", "brand", "price", "quantity")
    return {k: line[k] for k in fields if k in line}


def _event_id(message: dict[str, Any], scope: str) -> str | None:
    message_id = message.get("messageId")
    if not isinstance(message_id, str) or not message_id:
        return None
    try:
        return str(uuid.UUID(message_id))
    except ValueError:
        return str(uuid.uuid5(MESSAGE_ID_NAMESPACE, f"{scope}\n{message_id}"))


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def to_event(message: dict[str, Any], kind: str, scope: str = "") -> dict[str, Any]:
    """The canonical event dict for one Segment message of type `kind`.

    `scope` (the site) keeps UUIDv5 event ids of two sites apart.
    """
    kind = str(message.get("type", kind))
    properties = message.get("properties")
    properties = dict(properties) if isinstance(properties, dict) else {}
    context = _object(message.get("context"))
    page = _object(context.get("page"))
    if kind == "track":
        name = event_name(message.get("event"))
    elif kind in ("page", "screen"):
        name = "page_view" if kind == "page" else "screen_view"
        for key in ("name", "category"):
            if isinstance(message.get(key), str):
                properties.setdefault(f"page_{key}", message[key])
    elif kind == "identify":
        name = "identify"
    else:
        raise SegmentPayloadInvalid(
            f"message type {kind!r} is not one we take (track, page, screen, identify)"
        )
    event: dict[str, Any] = {"event_name": name}
    event_id = _event_id(message, scope)
    if event_id is not None:
        event["event_id"] = event_id
    when = message.get("timestamp") or message.get("originalTimestamp")
    if when is not None:
        event["event_timestamp"] = when
    client = message.get("anonymousId") or message.get("userId")
    if client is not None:
        event["client_id"] = str(client)
    url = properties.get("url", page.get("url"))
    if url is not None:
        event["page_url"] = url
    referrer = properties.get("referrer", page.get("referrer"))
    if referrer:
        event["referrer"] = referrer
    if name in _PRODUCT_EVENTS and any(k in properties for k in (*PRODUCT_ID_FIELDS, "name")):
        line = _item(properties)
        event["product"] = _product(line)
        if name != "product_view":
            event["items"] = [line]
    products = properties.get("products")
    if isinstance(products, list):
        event["items"] = [_item(p) for p in products if isinstance(p, dict)]
    if name in _ORDER_EVENTS:
        order: dict[str, Any] = {}
        ident = properties.get("order_id", properties.get("checkout_id"))
        if ident is not None:
            order["id"] = str(ident)
        total = properties.get("total", properties.get("revenue", properties.get("value")))
        if total is not None:
            order["total"] = total
        if isinstance(properties.get("currency"), str):
            order["currency"] = properties["currency"].upper()
        if isinstance(products, list):
            order["item_count"] = sum(
                int(p.get("quantity", 1))
                for p in products
                if isinstance(p, dict) and isinstance(p.get("quantity", 1), int)
            )
        if order:
            event["order"] = order
    rest = {k: v for k, v in properties.items() if k not in _MAPPED}
    if message.get("userId") is not None:
        rest["segment_user_id"] = str(message["userId"])
    if rest:
        event["properties"] = rest
    return event


def to_events(payload: Any, kind: str, scope: str = "") -> list[dict[str, Any]]:
    """The canonical event dicts of a Segment body posted as `kind` (`batch` or one type)."""
    if not isinstance(payload, dict):
        raise SegmentPayloadInvalid("a Segment body is a JSON object")
    if kind != "batch":
        return [to_event(payload, kind, scope)]
    batch = payload.get("batch")
    if not isinstance(batch, list):
        raise SegmentPayloadInvalid("`batch` must be an array of messages")
    shared = payload.get("context") if isinstance(payload.get("context"), dict) else None
    events = []
    for index, message in enumerate(batch):
        if not isinstance(message, dict):
            raise SegmentPayloadInvalid(f"batch message {index} is not a JSON object")
        if shared is not None and "context" not in message:
            message = {**message, "context": shared}
        events.append(to_event(message, str(message.get("type", "")), scope))
    return events


def write_key_of(payload: Any) -> str | None:
    """The `writeKey` analytics.js puts in the body (it posts `text/plain`, without headers)."""
    if isinstance(payload, dict) and isinstance(payload.get("writeKey"), str):
        return str(payload["writeKey"])
    return None
