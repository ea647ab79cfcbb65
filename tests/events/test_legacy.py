"""The original storefront's camelCase payload maps onto the canonical event (docs/contracts.md)."""

from __future__ import annotations

import msgspec

from clickstream.events.jsonschema import legacy_event_schema
from clickstream.events.legacy import (
    LEGACY_EVENT_NAMES,
    STOREFRONT_FIELDS,
    STOREFRONT_LOGIN_STATES,
    from_legacy,
    is_legacy,
)
from clickstream.events.schema import Event


def test_checkout_complete_becomes_purchase_with_order_from_dataset() -> None:
    legacy = {
        "eventName": "checkout_complete",
        "pageUrl": "https://shop.example/checkout/done",
        "referrer": "https://shop.example/cart",
        "userId": "u-forged",
        "userLoginState": "anonymous",
        "clientId": "c-1",
        "sessionId": "s-1",
        "isFirstVisit": False,
        "element": {
            "tag": "button",
            "id": "pay",
            "role": "button",
            "text": "Pay now",
            "dataset": {"orderId": "o-1", "orderNumber": "1001", "total": "59.90", "x": "y"},
        },
    }
    assert is_legacy(legacy)
    event = msgspec.convert(from_legacy(legacy), Event)

    assert event.event_name == "purchase"
    assert event.page_url == "https://shop.example/checkout/done"
    assert event.referrer == "https://shop.example/cart"
    assert (event.client_id, event.session_id, event.is_first_visit) == ("c-1", "s-1", False)
    assert event.order is not None
    assert (event.order.id, event.order.number, event.order.total) == ("o-1", "1001", 59.9)
    assert event.properties == {
        "element": {
            "tag": "button",
            "id": "pay",
            "role": "button",
            "text": "Pay now",
            "dataset": {"x": "y"},
        }
    }
    assert "user_id" not in msgspec.to_builtins(event)


def test_checkout_start_becomes_begin_checkout_with_cart_fields_as_order() -> None:
    legacy = {
        "eventName": "checkout_start",
        "element": {"tag": "a", "dataset": {"cartId": "cart-7", "total": "12.5", "itemCount": "3"}},
    }
    event = msgspec.convert(from_legacy(legacy), Event)

    assert event.event_name == "begin_checkout"
    assert event.order is not None
    assert (event.order.id, event.order.total, event.order.item_count) == ("cart-7", 12.5, 3)
    assert event.properties == {"element": {"tag": "a"}}


def test_product_fields_and_event_name_aliases_map_to_snake_case() -> None:
    product = {
        "id": "42",
        "name": "Teapot",
        "category": "Kitchen",
        "brand": "Acme",
        "price": 19.99,
        "discountPrice": "14.50",
        "urlPath": "/p/42",
    }
    expected = {
        "add_to_cart_click": "add_to_cart",
        "remove_from_cart_click": "remove_from_cart",
        "login_success": "login",
        "product_view": "product_view",
    }
    for sent, canonical in expected.items():
        event = msgspec.convert(from_legacy({"eventName": sent, "product": product}), Event)
        assert event.event_name == canonical
        assert event.product is not None
        assert event.product.discount_price == 14.5
        assert event.product.url_path == "/p/42"
        assert event.product.brand == "Acme"


def test_canonical_payload_is_not_taken_for_legacy() -> None:
    assert not is_legacy({"event_name": "page_view", "eventName": "x"})
    assert not is_legacy({"event_name": "page_view"})


def test_the_legacy_json_schema_names_every_storefront_field_and_login_state() -> None:
    schema = legacy_event_schema()

    assert set(STOREFRONT_FIELDS) <= set(schema["properties"])
    assert set(STOREFRONT_LOGIN_STATES) <= set(schema["properties"]["userLoginState"]["enum"])
    assert all(name in schema["description"] for name in LEGACY_EVENT_NAMES)
