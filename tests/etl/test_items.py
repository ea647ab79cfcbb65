"""Item lines: `event_items` rows written with their events, and the product roll-ups from them."""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg

from clickstream.etl.rebuild import rebuild
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from tests.etl.lakefiles import HOUR, put, record, snapshot

SHOE = {"id": "p1", "name": "Shoe", "category": "Shoes", "brand": "Acme", "price": 50}
HAT = {"id": "p2", "name": "Hat", "price": 20, "discount_price": 15, "quantity": 2}
SOCK = {"id": "p3", "name": "Sock", "variant": "red", "price": 4.5, "quantity": 3}
ORDER_LINES = [SHOE, HAT, SOCK]  # 50 + 2 * 15 + 3 * 4.5 = 93.50


def _purchase(**fields: Any) -> dict[str, Any]:
    return record(
        "purchase",
        HOUR + timedelta(minutes=5),
        items=ORDER_LINES,
        order={"id": "o1", "total": 93.5, "currency": "EUR"},
        **fields,
    )


def _items(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT event_name, order_id, line, item_id, name, variant, price, discount_price, "
            "quantity FROM event_items ORDER BY event_name, line"
        ).fetchall()


def test_an_orders_lines_load_one_row_each_beside_the_event_and_repeats_add_none(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    purchase = _purchase()
    cart = record(
        "add_to_cart",
        HOUR + timedelta(minutes=1),
        # The storefront's camelCase names are read too.
        items=[{"id": "p2", "name": "Hat", "price": "20", "discountPrice": "15", "quantity": 2}],
    )
    put(lake, HOUR, [cart, purchase], seq=1)
    # A retry of the purchase (same payload) and a conflicting one (other lines, same id).
    changed = {**purchase, "items": [SHOE], "received_at": (HOUR + timedelta(hours=1)).isoformat()}
    put(lake, HOUR, [purchase], seq=2)
    put(lake, HOUR + timedelta(hours=1), [changed], seq=3)

    result = run_etl(warehouse_url, lake)

    assert (result.loaded, result.duplicates, result.conflicts) == (2, 1, 1)
    assert _items(warehouse_url) == [
        ("add_to_cart", None, 1, "p2", "Hat", None, Decimal("20.00"), Decimal("15.00"), 2),
        ("purchase", "o1", 1, "p1", "Shoe", None, Decimal("50.00"), None, None),
        ("purchase", "o1", 2, "p2", "Hat", None, Decimal("20.00"), Decimal("15.00"), 2),
        ("purchase", "o1", 3, "p3", "Sock", "red", Decimal("4.50"), None, 3),
    ]
    with psycopg.connect(warehouse_url) as conn:
        partitions = conn.execute(
            "SELECT tableoid::regclass::text, count(*) FROM event_items GROUP BY 1"
        ).fetchall()
        events = conn.execute(
            "SELECT tableoid::regclass::text, count(*) FROM clickstream_events GROUP BY 1"
        ).fetchall()
    assert partitions == [("event_items_20261124", 4)]
    assert events == [("clickstream_events_20261124", 2)]


def test_lines_that_break_the_contract_reject_the_event_with_a_reason(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    put(
        lake,
        HOUR,
        [
            record("purchase", items=[{"id": "p1", "price": "lots"}]),
            record("purchase", items=[{"name": "no id"}]),
            record("purchase", items=[{"id": "p1", "quantity": 1.5}]),
            record("purchase", items={"id": "p1"}),
            record("purchase", items=None),
        ],
    )

    result = run_etl(warehouse_url, lake)

    assert result.loaded == 1
    assert result.rejected_by_reason == {
        "items is not an array of objects": 1,
        "items[].id is missing": 1,
        "items[].price is not a number in range": 1,
        "items[].quantity is not a whole number": 1,
    }
    assert _items(warehouse_url) == []


def test_product_revenue_summed_over_products_equals_the_purchase_revenue(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    at = HOUR + timedelta(minutes=1)
    put(
        lake,
        HOUR,
        [
            record("product_view", at, product=SHOE),
            record("product_view", at, product=HAT),
            record("add_to_cart", at, items=[{**HAT, "quantity": 3}]),
            _purchase(),
            # Shipping: the total is 5.00 above the lines.
            record(
                "purchase",
                at,
                session_id="s-2",
                items=[SHOE],
                order={"id": "o2", "total": 55},
            ),
            # A single-product purchase without a total earns its line.
            record("purchase", at, session_id="s-3", product={**HAT, "quantity": 1}),
            # An order with a total and no lines at all.
            record("purchase", at, session_id="s-4", order={"id": "o4", "total": 12}),
        ],
    )

    run_etl(warehouse_url, lake)

    with psycopg.connect(warehouse_url) as conn:
        products = conn.execute(
            "SELECT product_id, name, views, cart_adds, cart_units, purchases, units, revenue "
            "FROM product_daily ORDER BY product_id"
        ).fetchall()
        (overview,) = conn.execute("SELECT sum(revenue) FROM daily_kpis").fetchone() or (None,)
    assert products == [
        ("", "(not itemised)", 0, 0, 0, 2, 0, Decimal("17.00")),
        ("p1", "Shoe", 1, 0, 0, 2, 2, Decimal("100.00")),
        ("p2", "Hat", 1, 1, 3, 2, 3, Decimal("45.00")),
        ("p3", "Sock", 0, 0, 0, 1, 3, Decimal("13.50")),
    ]
    assert overview == Decimal("93.50") + 55 + 15 + 12
    assert sum(row[-1] for row in products) == overview


def test_rebuild_fills_the_items_table_and_roll_ups_as_the_incremental_loads_did(
    lake_dir: Path, warehouse_url: str, other_warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    put(lake, HOUR, [_purchase()], seq=1)
    put(lake, HOUR + timedelta(days=1), [_purchase(event_id=str(uuid.uuid4()))], seq=2)
    run_etl(warehouse_url, lake)

    run_etl(other_warehouse_url, lake)
    with psycopg.connect(other_warehouse_url) as conn:
        conn.execute("TRUNCATE event_items")  # as if loaded before items were written
    rebuild(other_warehouse_url, lake)

    incremental, rebuilt = snapshot(warehouse_url), snapshot(other_warehouse_url)
    assert len(incremental["event_items"]) == 6
    assert rebuilt["event_items"] == incremental["event_items"]
    assert rebuilt["item_partitions"] == incremental["item_partitions"]
    assert rebuilt["product_daily"] == incremental["product_daily"]


def test_a_day_loaded_over_two_runs_keeps_the_first_runs_lines_in_its_roll_ups(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    put(lake, HOUR, [_purchase()], seq=1)
    run_etl(warehouse_url, lake)
    # The second run derives the day again: the first purchase's lines are read back stored.
    later = record(
        "purchase",
        HOUR + timedelta(hours=2),
        session_id="s-2",
        items=[{**SOCK, "quantity": 1}],
        order={"id": "o2", "total": 4.5},
    )
    put(lake, HOUR + timedelta(hours=2), [later], seq=2)
    run_etl(warehouse_url, lake)

    with psycopg.connect(warehouse_url) as conn:
        products = conn.execute(
            "SELECT product_id, purchases, units, revenue FROM product_daily ORDER BY 1"
        ).fetchall()
        (overview,) = conn.execute("SELECT sum(revenue) FROM daily_kpis").fetchone() or (None,)
    assert products == [
        ("p1", 1, 1, Decimal("50.00")),
        ("p2", 1, 2, Decimal("30.00")),
        ("p3", 2, 4, Decimal("18.00")),
    ]
    assert overview == Decimal("98.00")
