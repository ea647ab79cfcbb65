"""Orders against events: matched by order id, with what is left on each side and its money."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from clickstream.warehouse.reconciliation import (
    Side,
    describe,
    period_of,
    reconcile,
)

START, END = period_of(date(2026, 11, 24), date(2026, 11, 24))
NOON = datetime(2026, 11, 24, 12, tzinfo=UTC)


def test_orders_match_their_purchase_events_and_the_rest_is_counted_on_each_side() -> None:
    orders = [
        ("1", Decimal("93.50"), NOON),
        ("2", Decimal("10.00"), NOON),  # its event was lost
        ("3", Decimal("20.00"), END - timedelta(seconds=1)),  # its event came after midnight
        ("4", Decimal("5.00"), START - timedelta(minutes=5)),  # the day before: not counted
        ("5", Decimal("7.00"), NOON),  # its event was sent twice
    ]
    purchases = [
        ("e1", "1", Decimal("93.50"), NOON),
        ("e3", "3", Decimal("20.00"), END + timedelta(seconds=2)),
        ("e4", "4", Decimal("5.00"), START + timedelta(seconds=1)),  # its order is the day before
        ("e5", "5", Decimal("7.00"), NOON),
        ("e5b", "5", Decimal("7.00"), NOON),
        ("e9", "99", Decimal("1.25"), NOON),  # no such order
        ("e0", None, Decimal("2.00"), NOON),  # no order id at all
    ]

    found = reconcile(orders, purchases, START, END)

    assert found.matched == Side(3, Decimal("120.50"))
    assert found.matched_events_total == Decimal("120.50")
    assert found.orders_without_event == Side(1, Decimal("10.00"))
    assert found.events_without_order == Side(2, Decimal("3.25"))
    assert found.missing_order_ids == ("2",)
    assert found.orders == Side(4, Decimal("130.50"))
    assert describe(found, "EUR") == (
        "3 (120.50 EUR) matched, 1 (10.00 EUR) orders without a purchase event, "
        "2 (3.25 EUR) purchase events without an order"
    )


def test_a_period_without_orders_or_events_is_all_zero() -> None:
    found = reconcile([], [], START, END)

    assert (found.matched, found.orders_without_event, found.events_without_order) == (
        Side(),
        Side(),
        Side(),
    )
