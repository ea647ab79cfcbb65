"""Segment's messages and e-commerce spec mapped onto our event (events/segment.py)."""

from __future__ import annotations

import uuid

import msgspec
import pytest

from clickstream.events.schema import Event
from clickstream.events.segment import SegmentPayloadInvalid, event_name, to_event, to_events

ORDER_COMPLETED = {
    "type": "track",
    "event": "Order Completed",
    "messageId": "ajs-next-1f3c",
    "anonymousId": "anon-1",
    "userId": "u-7",
    "timestamp": "2026-12-03T06:00:00.000Z",
    "context": {"page": {"url": "https://shop.example/thanks", "referrer": "https://x.test/"}},
    "properties": {
        "order_id": "o-17",
        "total": 42.5,
        "currency": "eur",
        "coupon": "WINTER",
        "products": [
            {
                "product_id": "sku-1",
                "name": "Mug",
                "category": "Kitchen",
                "brand": "Acme",
                "variant": "blue",
                "price": 20,
                "quantity": 2,
                "position": 1,
            },
            {"sku": "sku-2", "name": "Tea", "price": 2.5, "quantity": 1},
        ],
    },
}


def test_order_completed_becomes_a_purchase_with_order_and_items() -> None:
    event = to_event(ORDER_COMPLETED, "track", "blog")

    assert event["event_name"] == "purchase"
    assert event["order"] == {"id": "o-17", "total": 42.5, "currency": "EUR", "item_count": 3}
    assert event["items"] == [
        {
            "id": "sku-1",
            "name": "Mug",
            "category": "Kitchen",
            "brand": "Acme",
            "variant": "blue",
            "price": 20,
            "quantity": 2,
        },
        {"id": "sku-2", "name": "Tea", "price": 2.5, "quantity": 1},
    ]
    assert event["client_id"] == "anon-1"
    assert event["page_url"] == "https://shop.example/thanks"
    assert event["referrer"] == "https://x.test/"
    assert event["properties"] == {"coupon": "WINTER", "segment_user_id": "u-7"}
    # the same message id always gives the same event id (retries are stored once) per site
    assert event["event_id"] == to_event(ORDER_COMPLETED, "track", "blog")["event_id"]
    assert event["event_id"] != to_event(ORDER_COMPLETED, "track", "news")["event_id"]
    assert msgspec.convert(event, Event).order is not None  # valid as our event


@pytest.mark.parametrize(
    ("name", "ours", "product"),
    [
        ("Product Viewed", "product_view", True),
        ("Product Added", "add_to_cart", True),
        ("Product Removed", "remove_from_cart", True),
        ("Checkout Started", "begin_checkout", False),
        ("Products Searched", "search", False),
    ],
)
def test_the_ecommerce_spec_maps_to_our_standard_names(name: str, ours: str, product: bool) -> None:
    properties = {"product_id": "p1", "name": "Mug", "price": 9.5, "quantity": 1, "query": "mug"}
    event = to_event({"event": name, "properties": properties}, "track")

    assert event["event_name"] == ours
    assert ("product" in event) is product
    if product:
        assert event["product"] == {"id": "p1", "name": "Mug", "price": 9.5, "quantity": 1}


def test_a_null_product_id_falls_back_to_the_sku_and_a_product_without_any_id_has_none() -> None:
    properties = {"product_id": None, "sku": "sku-9", "name": "Mug"}
    event = to_event({"event": "Product Viewed", "properties": properties}, "track")
    assert event["product"] == {"id": "sku-9", "name": "Mug"}
    assert "sku" not in event.get("properties", {})  # mapped, not kept twice

    nameless = to_event({"event": "Product Viewed", "properties": {"name": "Mug"}}, "track")
    assert nameless["product"] == {"name": "Mug"}


def test_other_names_become_snake_case_and_pages_and_identify_are_mapped() -> None:
    assert event_name("Video Playback Started") == "video_playback_started"
    assert event_name("3D View") == "e_3d_view"
    page = to_event({"name": "Pricing", "properties": {"url": "https://b.test/p"}}, "page")
    assert page == {
        "event_name": "page_view",
        "page_url": "https://b.test/p",
        "properties": {"page_name": "Pricing"},
    }
    identify = to_event({"userId": "u1", "traits": {"email": "a@b.test"}}, "identify")
    assert identify["event_name"] == "identify"
    assert "a@b.test" not in str(identify)  # traits are not stored


def test_a_uuid_message_id_is_kept_as_the_event_id() -> None:
    message_id = str(uuid.uuid4())
    assert to_event({"event": "x", "messageId": message_id}, "track")["event_id"] == message_id


def test_a_batch_maps_each_message_and_bad_batches_say_why() -> None:
    batch = {"batch": [{"type": "track", "event": "Signed Up"}, {"type": "page"}]}
    assert [e["event_name"] for e in to_events(batch, "batch")] == ["sign_up", "page_view"]
    with pytest.raises(SegmentPayloadInvalid, match="`batch` must be an array"):
        to_events({"batch": {}}, "batch")
    with pytest.raises(SegmentPayloadInvalid, match="'alias'"):
        to_events({"batch": [{"type": "alias"}]}, "batch")
