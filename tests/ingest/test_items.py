"""`items` in the event contract: accepted on any event, each line checked, their number limited."""

from __future__ import annotations

import json
from typing import Any

import pytest

from clickstream import utc
from clickstream.events.record import Receipt
from clickstream.ingest.configuration import IngestSettings
from clickstream.ingest.core import Accepted, Context, Refused, accept
from clickstream.ingest.core.limits import Limits

LINE = {"id": "p1", "name": "Shoe", "category": "Shoes", "brand": "Acme", "variant": "red"}


def _accept(body: Any, limits: Limits | None = None) -> Accepted | Refused:
    receipt = Receipt(received_at=utc.now(), request_id="r-1", node_id="n-1")
    return accept(json.dumps(body).encode(), Context(receipt, limits=limits or Limits()))


@pytest.mark.parametrize("name", ["add_to_cart", "remove_from_cart", "begin_checkout", "purchase"])
def test_a_cart_or_order_event_keeps_its_lines_and_order_id_in_the_lake_line(name: str) -> None:
    lines = [{**LINE, "price": 50, "discount_price": 40, "quantity": 2}, {"id": "p2"}]

    accepted = _accept({"event_name": name, "items": lines, "order": {"id": "o-7"}})

    assert isinstance(accepted, Accepted)
    stored = json.loads(accepted.lines)
    assert stored["items"] == [
        {**LINE, "price": 50.0, "discount_price": 40.0, "quantity": 2},
        {"id": "p2"},
    ]
    assert stored["order"] == {"id": "o-7"}


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ({"name": "no id"}, "items[2].id"),
        ({"id": "p3", "quantity": 0}, "items[2].quantity"),
        ({"id": "p3", "quantity": 1.5}, "items[2].quantity"),
        ({"id": "p3", "price": -1}, "items[2].price"),
        ({"id": "p3", "discount_price": "cheap"}, "items[2].discount_price"),
        ({"id": "p3", "variant": "x" * 257}, "items[2].variant"),
        ("p3", "items[2]"),
    ],
)
def test_a_bad_line_refuses_the_batch_naming_the_line_and_field(line: Any, field: str) -> None:
    body = [
        {"event_name": "page_view"},
        {"event_name": "purchase", "items": [LINE, LINE, line]},
    ]

    refused = _accept(body)

    assert isinstance(refused, Refused)
    assert refused.status == 400
    assert refused.errors[0]["index"] == 1
    assert refused.errors[0]["field"] == field
    assert field in refused.message


def test_more_lines_than_the_setting_allows_are_refused_naming_items() -> None:
    limits = Limits.from_settings(IngestSettings(ingest_max_event_items=3))
    assert limits.max_event_items == 3

    fits = _accept({"event_name": "purchase", "items": [LINE] * 3}, limits)
    refused = _accept({"event_name": "purchase", "items": [LINE] * 4}, limits)

    assert isinstance(fits, Accepted)
    assert isinstance(refused, Refused)
    assert refused.errors == [
        {"index": 0, "field": "items", "message": "4 items; at most 3 are accepted"}
    ]


def test_the_storefront_payload_maps_its_camel_case_lines() -> None:
    body = {
        "eventName": "checkout_complete",
        "items": [{"id": "p1", "discountPrice": "12.50", "price": "15", "quantity": "2"}],
        "element": {"dataset": {"orderId": "o-9", "total": "25"}},
    }

    accepted = _accept(body)

    assert isinstance(accepted, Accepted)
    stored = json.loads(accepted.lines)
    assert stored["event_name"] == "purchase"
    assert stored["items"] == [{"id": "p1", "price": 15.0, "discount_price": 12.5, "quantity": 2}]
    assert stored["order"] == {"id": "o-9", "total": 25.0}
