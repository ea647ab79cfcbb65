"""Checkout: turn a cart into an order, decrementing stock atomically or not at all."""

from __future__ import annotations

import secrets
from decimal import Decimal

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from clickstream import utc
from clickstream.shop.cart import load_cart
from clickstream.shop.models import CartItem, Order, OrderItem, Product


class CartEmpty(ValueError):
    """There is nothing in the cart to order."""


class OutOfStock(ValueError):
    """A product in the cart has fewer units left than the cart asks for."""

    def __init__(self, product_name: str, available: int) -> None:
        left = "none left" if available <= 0 else f"only {available} left"
        super().__init__(f"Sorry, {product_name} is out of stock ({left}).")
        self.product_name = product_name
        self.available = available


def place_order(db: Session, cart_id: str, user_id: str, currency: str) -> Order:
    """Write the order and its items and take the units from stock, in one transaction.

    Each decrement is a conditional `UPDATE … WHERE stock >= quantity`, so concurrent
    checkouts can never take stock below zero; if any line cannot be filled, nothing changes
    and `OutOfStock` names the product.
    """
    cart = load_cart(db, cart_id)
    if not cart.items:
        raise CartEmpty("your cart is empty")
    # Lock rows in a fixed order so two checkouts of the same products cannot deadlock.
    lines = sorted(cart.items, key=lambda item: item.product_id)
    try:
        total = Decimal("0.00")
        for line in lines:
            taken = db.execute(
                update(Product)
                .where(Product.id == line.product_id, Product.stock >= line.quantity)
                .values(stock=Product.stock - line.quantity)
                .returning(Product.id)
            ).first()
            if taken is None:
                available = db.scalar(select(Product.stock).where(Product.id == line.product_id))
                raise OutOfStock(line.product.name, int(available or 0))
            total += line.product.unit_price * line.quantity
        order = Order(
            number=f"CS-{utc.now():%Y%m%d}-{secrets.token_hex(4).upper()}",
            user_id=user_id,
            total=total,
            currency=currency,
            item_count=cart.item_count,
            created_at=utc.now(),
        )
        order.items = [
            OrderItem(
                product_id=line.product_id,
                name=line.product.name,
                unit_price=line.product.unit_price,
                quantity=line.quantity,
            )
            for line in lines
        ]
        db.add(order)
        db.execute(delete(CartItem).where(CartItem.cart_id == cart_id))
        db.commit()
    except BaseException:
        db.rollback()
        raise
    return order


def orders_of(db: Session, user_id: str) -> list[Order]:
    """A user's orders, newest first."""
    return list(db.scalars(select(Order).where(Order.user_id == user_id).order_by(Order.id.desc())))
