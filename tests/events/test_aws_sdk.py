"""The AWS Clickstream web SDK's events mapped onto ours (events/aws_sdk.py)."""

from __future__ import annotations

import msgspec
import pytest

from clickstream.events.aws_sdk import AwsPayloadInvalid, app_id_of, event_name, to_event, to_events
from clickstream.events.schema import Event

PURCHASE = {
    "event_type": "purchase",
    "event_id": "0b3f7d0e-7d0c-4c43-9a55-5d1c2b9f8a10",
    "device_id": "dev-1",
    "unique_id": "u-uuid",
    "app_id": "awsshop",
    "timestamp": 1764741600000,
    "items": [{"id": 7, "name": "Mug", "category": "Kitchen", "price": 20, "quantity": 2}],
    "user": {"_user_id": {"value": "u-42", "set_timestamp": 1}, "email": {"value": "a@b.test"}},
    "attributes": {
        "transaction_id": "o-5",
        "value": 40,
        "currency": "usd",
        "coupon": "WINTER",
        "_session_id": "s-1",
        "_page_url": "https://shop.example/thanks",
        "_page_referrer": "https://shop.example/cart",
        "_page_title": "Thanks",
    },
}


def test_a_purchase_keeps_its_ids_time_order_items_and_custom_attributes() -> None:
    event = to_event(PURCHASE)

    assert event["event_name"] == "purchase"
    assert event["event_id"] == PURCHASE["event_id"]
    assert event["event_timestamp"] == "2025-12-03T06:00:00+00:00"
    assert (event["client_id"], event["session_id"]) == ("dev-1", "s-1")
    assert event["page_url"] == "https://shop.example/thanks"
    assert event["referrer"] == "https://shop.example/cart"
    assert event["order"] == {"id": "o-5", "total": 40, "currency": "USD", "item_count": 2}
    assert event["items"] == [
        {"id": "7", "name": "Mug", "category": "Kitchen", "price": 20, "quantity": 2}
    ]
    assert event["properties"] == {
        "coupon": "WINTER",
        "page_title": "Thanks",
        "aws_user_id": "u-42",
    }
    assert "a@b.test" not in str(event)  # user attributes are not stored
    assert msgspec.convert(event, Event).order is not None


@pytest.mark.parametrize(
    ("theirs", "ours"),
    [
        ("_page_view", "page_view"),
        ("_first_open", "first_open"),
        ("view_item", "product_view"),
        ("_session_start", "session_start"),
        ("Video Played", "video_played"),
    ],
)
def test_preset_and_ecommerce_names_map_to_ours(theirs: str, ours: str) -> None:
    assert event_name(theirs) == ours


def test_the_body_must_be_an_array_and_the_app_id_is_read_from_the_events() -> None:
    assert app_id_of([PURCHASE, {**PURCHASE, "event_type": "_page_view"}]) == "awsshop"
    assert app_id_of([PURCHASE, {**PURCHASE, "app_id": "other"}]) is None
    with pytest.raises(AwsPayloadInvalid, match="JSON array"):
        to_events({"event_type": "x"})
    assert to_events([{"event_type": "_first_open"}])[0]["is_first_visit"] is True
