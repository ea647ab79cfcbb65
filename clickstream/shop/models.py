"""The shop's tables: catalogue, carts, orders (accounts live in `clickstream.auth.models`)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from clickstream.auth.models import Base
from clickstream.auth.refresh import RefreshToken  # noqa: F401  (its table is the shop database's)


class Category(Base):
    """A top-level section of the catalogue."""

    __tablename__ = "categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Brand(Base):
    """A maker of products."""

    __tablename__ = "brands"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Product(Base):
    """A product for sale; `stock` can never go below zero (checked by the database too)."""

    __tablename__ = "products"
    __table_args__ = (CheckConstraint("stock >= 0", name="products_stock_not_negative"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    category_id: Mapped[int] = mapped_column(ForeignKey("categories.id"))
    brand_id: Mapped[int] = mapped_column(ForeignKey("brands.id"))
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    discount_price: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    stock: Mapped[int] = mapped_column(Integer)
    image_key: Mapped[str] = mapped_column(String(200))
    category: Mapped[Category] = relationship(lazy="joined")
    brand: Mapped[Brand] = relationship(lazy="joined")

    @property
    def unit_price(self) -> Decimal:
        """What one costs now: the discount price when there is one."""
        return self.discount_price if self.discount_price is not None else self.price

    @property
    def url_path(self) -> str:
        """The product page's path."""
        return f"/product/{self.slug}"


class CartItem(Base):
    """A line in a cart; a cart belongs to a browser session or, once signed in, to a user."""

    __tablename__ = "cart_items"
    cart_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), primary_key=True)
    quantity: Mapped[int] = mapped_column(Integer)
    product: Mapped[Product] = relationship(lazy="joined")


class Order(Base):
    """A placed order with the total that the `purchase` event reports."""

    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id"), index=True)
    total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    currency: Mapped[str] = mapped_column(String(3))
    item_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    items: Mapped[list[OrderItem]] = relationship(lazy="selectin", order_by="OrderItem.id")


class OrderItem(Base):
    """One product in an order, at the price paid."""

    __tablename__ = "order_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    name: Mapped[str] = mapped_column(String(200))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    quantity: Mapped[int] = mapped_column(Integer)
