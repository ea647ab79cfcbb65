"""Orders against events: the shop's orders (its OLTP database) matched with `purchase` events.

We own both sides, so every order the shop took should have arrived as a `purchase` event with
its id in `order.id`. For a period, each order placed in it is matched by id with a purchase
event; what is left are orders with no event (tracking lost: a blocker, a closed tab, a
network that dropped the batch) and purchase events with no order (sent by another client, a
test, or an order id the shop does not know). Totals are counted in money too.

Only the shop's `orders` table (`id`, `total`, `created_at`) is read, by SQL on a read-only
connection: no shop code is imported. The counterpart of an order (or an event) may fall just
outside the period (the event is timed by the browser, the order by the database), so each
side is looked up in the period widened by `SLACK`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import psycopg

SLACK = timedelta(hours=1)  # also written in dashboard/queries/pipeline.sql: purchases
SHOP_ORDERS = """
SELECT id::text, total, created_at FROM orders
WHERE created_at >= %s AND created_at < %s
"""
PURCHASES = """
SELECT event_id::text, order_id, coalesce(order_total, 0), event_timestamp
FROM clickstream_events
WHERE event_name = 'purchase' AND event_timestamp >= %s AND event_timestamp < %s
"""


@dataclass(frozen=True)
class Side:
    """A count of orders or events and the money they hold."""

    count: int = 0
    total: Decimal = Decimal("0.00")

    def plus(self, amount: Decimal) -> Side:
        """This side with one more, of `amount`."""
        return Side(self.count + 1, self.total + amount)


@dataclass(frozen=True)
class Reconciliation:
    """Orders placed in [start, end) against the purchase events of that period."""

    start: datetime
    end: datetime
    matched: Side  # orders with a purchase event; the orders' total
    matched_events_total: Decimal  # what those orders' events said they were worth
    orders_without_event: Side
    events_without_order: Side
    missing_order_ids: tuple[str, ...]  # the first few orders with no event, oldest first

    @property
    def orders(self) -> Side:
        """Every order of the period."""
        return Side(
            self.matched.count + self.orders_without_event.count,
            self.matched.total + self.orders_without_event.total,
        )


Order = tuple[str, Decimal, datetime]
Purchase = tuple[str, str | None, Decimal, datetime]


def reconcile(
    orders: list[Order], purchases: list[Purchase], start: datetime, end: datetime
) -> Reconciliation:
    """Match `orders` with `purchases` by order id; both may reach `SLACK` beyond the period."""
    events_by_order: dict[str, list[Purchase]] = {}
    for event in purchases:
        if event[1] is not None:
            events_by_order.setdefault(event[1], []).append(event)
    known_orders = {order_id for order_id, _, _ in orders}
    matched, missing = Side(), Side()
    matched_events = Decimal("0.00")
    missing_ids: list[tuple[datetime, str]] = []
    for order_id, total, placed in orders:
        if not start <= placed < end:
            continue
        found = events_by_order.get(order_id)
        if found:
            matched = matched.plus(total)
            matched_events += found[0][2]  # a repeat of one order's event counts once
        else:
            missing = missing.plus(total)
            missing_ids.append((placed, order_id))
    strays = Side()
    for _, sent_id, amount, at in purchases:
        if start <= at < end and (sent_id is None or sent_id not in known_orders):
            strays = strays.plus(amount)
    return Reconciliation(
        start=start,
        end=end,
        matched=matched,
        matched_events_total=matched_events,
        orders_without_event=missing,
        events_without_order=strays,
        missing_order_ids=tuple(order_id for _, order_id in sorted(missing_ids)[:10]),
    )


def period_of(first: date, last: date) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the inclusive days `first`..`last`."""
    start = datetime.combine(first, time(), tzinfo=UTC)
    return start, datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)


def shop_orders(shop_url: str, start: datetime, end: datetime) -> list[Order]:
    """The shop's orders placed in [start, end) widened by `SLACK`, on a read-only session."""
    with psycopg.connect(shop_url, connect_timeout=5) as shop:
        shop.read_only = True
        rows = shop.execute(SHOP_ORDERS, (start - SLACK, end + SLACK)).fetchall()
    return [(str(i), Decimal(t), at) for i, t, at in rows]


def reconcile_period(
    warehouse: psycopg.Connection, shop_url: str, start: datetime, end: datetime
) -> Reconciliation:
    """Read the shop's orders (read-only) and the warehouse's purchases for [start, end)."""
    orders = shop_orders(shop_url, start, end)
    window = (start - SLACK, end + SLACK)
    purchases = [
        (str(e), o, Decimal(t), at) for e, o, t, at in warehouse.execute(PURCHASES, window)
    ]
    return reconcile(orders, purchases, start, end)


def describe(found: Reconciliation, currency: str = "") -> str:
    """One line: matched, orders with no event, events with no order, with their money."""
    unit = f" {currency}" if currency else ""

    def side(value: Side) -> str:
        return f"{value.count} ({value.total:,.2f}{unit})"

    return (
        f"{side(found.matched)} matched, {side(found.orders_without_event)} orders without a "
        f"purchase event, {side(found.events_without_order)} purchase events without an order"
    )
