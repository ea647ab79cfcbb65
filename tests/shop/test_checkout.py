"""Checkout against real PostgreSQL: atomic stock, clear refusals, orders written whole."""

from __future__ import annotations

import threading
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from clickstream import utc
from clickstream.auth.models import User
from clickstream.shop.cart import add_item, cart_id_for, load_cart
from clickstream.shop.checkout import OutOfStock, place_order
from clickstream.shop.db import session_factory
from clickstream.shop.models import Order, OrderItem, Product


def _user(db: Session) -> User:
    user = User(
        id=str(uuid.uuid4()),
        email=f"{uuid.uuid4().hex[:8]}@example.com",
        password_hash="x",
        created_at=utc.now(),
        failed_logins=0,
    )
    db.add(user)
    db.commit()
    return user


def _set_stock(db: Session, product_id: int, stock: int) -> None:
    product = db.get(Product, product_id)
    assert product is not None
    product.stock = stock
    db.commit()


def test_concurrent_checkouts_never_take_stock_below_zero(shop_engine: Engine) -> None:
    buyers, stock = 12, 5
    sessions = session_factory(shop_engine)
    with sessions() as db:
        _set_stock(db, 1, stock)
        carts = []
        for _ in range(buyers):
            user = _user(db)
            cart = cart_id_for("unused", user.id)
            add_item(db, cart, 1, 1)
            add_item(db, cart, 2, 1)
            carts.append((cart, user.id))
        stock_2_before = db.scalar(select(Product.stock).where(Product.id == 2))
    start = threading.Barrier(buyers)
    outcomes: list[str] = []
    lock = threading.Lock()

    def buy(cart: str, user_id: str) -> None:
        with sessions() as db:
            start.wait()
            try:
                place_order(db, cart, user_id, "EUR")
                outcome = "ordered"
            except OutOfStock:
                outcome = "refused"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=buy, args=c) for c in carts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    with sessions() as db:
        left = db.scalar(select(Product.stock).where(Product.id == 1))
        stock_2_after = db.scalar(select(Product.stock).where(Product.id == 2))
        orders = db.scalar(select(func.count()).select_from(Order))
    assert sorted(outcomes) == ["ordered"] * stock + ["refused"] * (buyers - stock)
    assert left == 0
    assert orders == stock
    # A refused checkout took nothing from the other line either.
    assert stock_2_before is not None and stock_2_after == stock_2_before - stock


def test_out_of_stock_line_refuses_the_whole_order_with_the_product_name(db: Session) -> None:
    user = _user(db)
    cart = cart_id_for("s", user.id)
    add_item(db, cart, 3, 1)
    add_item(db, cart, 4, 2)
    _set_stock(db, 4, 1)
    before = db.scalar(select(Product.stock).where(Product.id == 3))
    name = db.scalar(select(Product.name).where(Product.id == 4))

    with pytest.raises(OutOfStock, match=f"{name} is out of stock \\(only 1 left\\)"):
        place_order(db, cart, user.id, "EUR")

    db.expire_all()
    assert db.scalar(select(Product.stock).where(Product.id == 3)) == before
    assert db.scalar(select(func.count()).select_from(Order)) == 0
    assert len(load_cart(db, cart).items) == 2  # the cart is kept for the shopper to fix


def test_order_total_is_the_sum_of_discounted_lines_and_the_cart_empties(db: Session) -> None:
    user = _user(db)
    cart = cart_id_for("s", user.id)
    add_item(db, cart, 1, 2)
    add_item(db, cart, 5, 1)
    p1, p5 = db.get(Product, 1), db.get(Product, 5)
    assert p1 is not None and p5 is not None
    expected = p1.unit_price * 2 + p5.unit_price

    order = place_order(db, cart, user.id, "EUR")

    assert order.total == expected
    assert order.item_count == 3
    items = db.scalars(select(OrderItem).where(OrderItem.order_id == order.id)).all()
    assert sum((i.unit_price * i.quantity for i in items), Decimal(0)) == expected
    assert load_cart(db, cart).items == []
