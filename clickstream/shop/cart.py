"""The server-side cart: one per browser session for guests, one per user once signed in."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from clickstream.shop.models import CartItem, Product

MAX_QUANTITY = 99


def cart_id_for(session_id: str, user_id: str | None) -> str:
    """The cart a visitor uses: the user's when signed in, else the browser session's."""
    return f"u:{user_id}" if user_id else f"s:{session_id}"


@dataclass(frozen=True)
class Cart:
    """The lines of a cart with their current prices."""

    items: list[CartItem]

    @property
    def total(self) -> Decimal:
        """Sum of unit price times quantity."""
        return sum((i.product.unit_price * i.quantity for i in self.items), Decimal("0.00"))

    @property
    def item_count(self) -> int:
        """Number of units in the cart."""
        return sum(i.quantity for i in self.items)


def load_cart(db: Session, cart_id: str) -> Cart:
    """The cart's lines, ordered by product name."""
    rows = db.scalars(
        select(CartItem).where(CartItem.cart_id == cart_id).join(Product).order_by(Product.name)
    )
    return Cart(items=list(rows.unique()))


def add_item(db: Session, cart_id: str, product_id: int, quantity: int = 1) -> None:
    """Add `quantity` units (capped) of a product to the cart."""
    quantity = max(1, min(quantity, MAX_QUANTITY))
    statement = insert(CartItem).values(cart_id=cart_id, product_id=product_id, quantity=quantity)
    db.execute(
        statement.on_conflict_do_update(
            index_elements=[CartItem.cart_id, CartItem.product_id],
            set_={"quantity": CartItem.quantity + statement.excluded.quantity},
        )
    )
    db.execute(
        CartItem.__table__.update()  # type: ignore[attr-defined]
        .where(CartItem.cart_id == cart_id, CartItem.quantity > MAX_QUANTITY)
        .values(quantity=MAX_QUANTITY)
    )
    db.commit()


def remove_item(db: Session, cart_id: str, product_id: int) -> None:
    """Take a product out of the cart."""
    db.execute(
        delete(CartItem).where(CartItem.cart_id == cart_id, CartItem.product_id == product_id)
    )
    db.commit()


def merge_carts(db: Session, guest_cart_id: str, user_cart_id: str) -> None:
    """Move a guest's lines into the user's cart on sign-in, adding quantities."""
    for item in load_cart(db, guest_cart_id).items:
        add_item(db, user_cart_id, item.product_id, item.quantity)
    db.execute(delete(CartItem).where(CartItem.cart_id == guest_cart_id))
    db.commit()
