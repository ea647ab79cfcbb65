"""The original storefront's camelCase payload, mapped onto the canonical event (docs/contracts.md).

That client sends one object a request with `eventName`, `pageUrl`, `userId`, `element{...}` and
its own event names. We accept it as sent so the shop can point its existing client at us.
`userId` and `userLoginState` are dropped: identity only ever comes from a verified token.
"""

from __future__ import annotations

from typing import Any

import msgspec

from clickstream.events.schema import Item, Product

# The storefront's own event names for standard events (the ETL maps them in lake records too).
LEGACY_EVENT_NAMES = {
    "add_to_cart_click": "add_to_cart",
    "remove_from_cart_click": "remove_from_cart",
    "checkout_start": "begin_checkout",
    "checkout_complete": "purchase",
    "login_success": "login",
}
# The storefront's camelCase name of each field whose name differs from the canonical one.
# Lake records of the original system carry them, so the ETL's input contract reads them too.
STOREFRONT_FIELDS = {
    "eventName": "event_name",
    "clientId": "client_id",
    "sessionId": "session_id",
    "isFirstVisit": "is_first_visit",
    "userId": "user_id",
    "userLoginState": "user_login_state",
    "pageUrl": "page_url",
}
STOREFRONT_PRODUCT_FIELDS = {"discountPrice": "discount_price", "urlPath": "url_path"}
# Its `userLoginState` values that have another canonical name.
STOREFRONT_LOGIN_STATES = {"anonymous": "guest"}

# A payload's own identity is dropped (see above); its own id and time are taken, as sent in
# camelCase, beside the storefront's fields.
_DROPPED = {"event_name", "user_id", "user_login_state"}  # the name is mapped on its own
_TOP_LEVEL = {
    **{legacy: name for legacy, name in STOREFRONT_FIELDS.items() if name not in _DROPPED},
    "referrer": "referrer",
    "eventId": "event_id",
    "eventTimestamp": "event_timestamp",
}
# Every product field, under the storefront's name where it has one of its own.
_PRODUCT = {
    **{
        field.name: field.name
        for field in msgspec.structs.fields(Product)
        if field.name not in STOREFRONT_PRODUCT_FIELDS.values()
    },
    **STOREFRONT_PRODUCT_FIELDS,
}
# Every item field, under the storefront's name where it has one of its own (as for products).
_ITEM = {
    **{
        field.name: field.name
        for field in msgspec.structs.fields(Item)
        if field.name not in STOREFRONT_PRODUCT_FIELDS.values()
    },
    **{k: v for k, v in STOREFRONT_PRODUCT_FIELDS.items() if v != "url_path"},
}
# Which `element.dataset` keys become which `order` fields, per (canonical) event name.
_ORDER_FROM_DATASET = {
    "begin_checkout": {"cartId": "id", "total": "total", "itemCount": "item_count"},
    "purchase": {"orderId": "id", "orderNumber": "number", "total": "total"},
}
_NUMERIC_ORDER_FIELDS = {"total": float, "item_count": int}


def is_legacy(item: dict[str, Any]) -> bool:
    """Whether `item` is the original storefront's camelCase form."""
    return "eventName" in item and "event_name" not in item


def _number(value: Any, kind: type[float] | type[int]) -> Any:
    """A number sent as a string becomes that number; anything else is left for validation."""
    if isinstance(value, str):
        try:
            return kind(value.strip())
        except ValueError:
            return value
    return value


def _line(fields: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    """A product or an item line under canonical names, its numbers sent as text made numbers."""
    mapped = {names[k]: v for k, v in fields.items() if k in names}
    for money in ("price", "discount_price"):
        if money in mapped:
            mapped[money] = _number(mapped[money], float)
    if "quantity" in mapped:
        mapped["quantity"] = _number(mapped["quantity"], int)
    return mapped


def from_legacy(item: dict[str, Any]) -> dict[str, Any]:
    """The canonical event dict for a camelCase payload; validation happens afterwards."""
    name = item.get("eventName")
    if isinstance(name, str):
        name = LEGACY_EVENT_NAMES.get(name, name)
    event: dict[str, Any] = {"event_name": name}
    for legacy, canonical in _TOP_LEVEL.items():
        if legacy in item:
            event[canonical] = item[legacy]
    product = item.get("product")
    if isinstance(product, dict):
        event["product"] = _line(product, _PRODUCT)
    elif product is not None:
        event["product"] = product  # let validation name the problem
    lines = item.get("items")
    if isinstance(lines, list):
        event["items"] = [_line(line, _ITEM) if isinstance(line, dict) else line for line in lines]
    elif lines is not None:
        event["items"] = lines
    element = item.get("element")
    if isinstance(element, dict):
        rest = dict(element)
        dataset = rest.get("dataset")
        fields = _ORDER_FROM_DATASET.get(name) if isinstance(name, str) else None
        if fields and isinstance(dataset, dict):
            remaining = dict(dataset)
            order: dict[str, Any] = {}
            for key, target in fields.items():
                if key in remaining:
                    value = remaining.pop(key)
                    kind = _NUMERIC_ORDER_FIELDS.get(target)
                    order[target] = _number(value, kind) if kind else value
            if order:
                event["order"] = order
            if remaining:
                rest["dataset"] = remaining
            else:
                rest.pop("dataset", None)
        if rest:
            event["properties"] = {"element": rest}
    elif element is not None:
        event["properties"] = {"element": element}
    return event
