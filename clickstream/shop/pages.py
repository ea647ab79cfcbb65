"""Catalogue, cart, checkout and order pages."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from starlette.responses import RedirectResponse, Response

from clickstream.shop.cart import add_item, load_cart, remove_item
from clickstream.shop.checkout import CartEmpty, OutOfStock, orders_of, place_order
from clickstream.shop.models import Brand, Category, Order, Product
from clickstream.shop.web import Ctx, item_fields, page, product_fields, purchase_event_id

SEARCH_LIMIT = 48
HOME_PER_CATEGORY = 2


def _not_found(ctx: Ctx, what: str) -> Response:
    return ctx.render("message.html", status=404, title="Not found", message=f"No such {what}.")


@page
def home(ctx: Ctx) -> Response:
    """The front page: a selection from every category."""
    products: list[Product] = []
    per_category: dict[int, int] = {}
    for found in ctx.db.scalars(select(Product).order_by(Product.id)):
        if per_category.get(found.category_id, 0) < HOME_PER_CATEGORY:
            per_category[found.category_id] = per_category.get(found.category_id, 0) + 1
            products.append(found)
    # A new account lands here signed in (sign-up signs in): say so once.
    welcome = ctx.user is not None and ctx.request.query_params.get("welcome") == "1"
    return ctx.render("list.html", title="Welcome", products=products, welcome=welcome)


@page
def category(ctx: Ctx) -> Response:
    """One category's products."""
    slug = ctx.request.path_params["slug"]
    found = ctx.db.scalar(select(Category).where(Category.slug == slug))
    if found is None:
        return _not_found(ctx, "category")
    products = ctx.db.scalars(
        select(Product).where(Product.category_id == found.id).order_by(Product.name)
    ).all()
    event = ["category_view", {"properties": {"category": found.name}}]
    return ctx.render("list.html", title=found.name, products=products, events=[event])


@page
def product(ctx: Ctx) -> Response:
    """A product page."""
    slug = ctx.request.path_params["slug"]
    found = ctx.db.scalar(select(Product).where(Product.slug == slug))
    if found is None:
        return _not_found(ctx, "product")
    event = ["product_view", {"product": product_fields(found)}]
    return ctx.render("product.html", title=found.name, product=found, events=[event])


@page
def search(ctx: Ctx) -> Response:
    """Products whose name, brand or category matches the query."""
    query = ctx.request.query_params.get("q", "").strip()[:100]
    products: list[Product] = []
    events: list[Any] = []
    if query:
        like = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        products = list(
            ctx.db.scalars(
                select(Product)
                .join(Brand)
                .join(Category)
                .where(
                    or_(
                        Product.name.ilike(like),
                        Brand.name.ilike(like),
                        Category.name.ilike(like),
                    )
                )
                .order_by(Product.name)
                .limit(SEARCH_LIMIT)
            ).unique()
        )
        events = [["search", {"properties": {"query": query, "results": len(products)}}]]
    title = f"Search: {query}" if query else "Search"
    return ctx.render("list.html", title=title, products=products, query=query, events=events)


@page
def cart_page(ctx: Ctx) -> Response:
    """The cart."""
    return ctx.render("cart.html", title="Your cart", cart=load_cart(ctx.db, ctx.cart_id))


def _product_from_form(ctx: Ctx) -> Product | None:
    try:
        return ctx.db.get(Product, int(ctx.field("product_id")))
    except ValueError:
        return None


@page
def cart_add(ctx: Ctx) -> Response:
    """Add a product to the cart, then show the cart."""
    found = _product_from_form(ctx)
    if found is None:
        return _not_found(ctx, "product")
    quantity = int(ctx.field("quantity") or 1) if ctx.field("quantity").isdigit() else 1
    add_item(ctx.db, ctx.cart_id, found.id, quantity)
    ctx.queue_event(
        "add_to_cart",
        {"product": product_fields(found, quantity), "items": [item_fields(found, quantity)]},
    )
    return RedirectResponse("/cart", status_code=303)


@page
def cart_remove(ctx: Ctx) -> Response:
    """Take a product out of the cart."""
    found = _product_from_form(ctx)
    if found is not None:
        line = next(
            (i for i in load_cart(ctx.db, ctx.cart_id).items if i.product_id == found.id), None
        )
        remove_item(ctx.db, ctx.cart_id, found.id)
        if line is not None:
            fields = {
                "product": product_fields(found, line.quantity),
                "items": [item_fields(found, line.quantity)],
            }
            ctx.queue_event("remove_from_cart", fields)
    return RedirectResponse("/cart", status_code=303)


def _order_fields(total: Any, currency: str, item_count: int, **more: str) -> dict[str, Any]:
    return {"total": float(total), "currency": currency, "item_count": item_count, **more}


@page
def checkout_page(ctx: Ctx) -> Response:
    """Review the cart before ordering; signing in is required to order."""
    if ctx.user is None:
        return RedirectResponse("/account/signin?next=/checkout", status_code=303)
    cart = load_cart(ctx.db, ctx.cart_id)
    if not cart.items:
        return RedirectResponse("/cart", status_code=303)
    currency = ctx.state.settings.shop_currency
    event = [
        "begin_checkout",
        {
            "order": _order_fields(cart.total, currency, cart.item_count),
            "items": [item_fields(line.product, line.quantity) for line in cart.items],
        },
    ]
    return ctx.render("checkout.html", title="Checkout", cart=cart, events=[event])


@page
def checkout_submit(ctx: Ctx) -> Response:
    """Place the order; an out-of-stock line sends the shopper back with a clear message."""
    if ctx.user is None:
        return RedirectResponse("/account/signin?next=/checkout", status_code=303)
    try:
        order = place_order(ctx.db, ctx.cart_id, ctx.user.id, ctx.state.settings.shop_currency)
    except (OutOfStock, CartEmpty) as exc:
        cart = load_cart(ctx.db, ctx.cart_id)
        return ctx.render("cart.html", status=409, title="Your cart", cart=cart, error=str(exc))
    fields = _order_fields(
        order.total, order.currency, order.item_count, id=str(order.id), number=order.number
    )
    # The order's own lines at the price paid: they add up to its total.
    items = [
        item_fields(ctx.db.get_one(Product, line.product_id), line.quantity, paid=line.unit_price)
        for line in order.items
    ]
    ctx.queue_event(
        "purchase",
        {"event_id": purchase_event_id(order.number), "order": fields, "items": items},
    )
    return RedirectResponse(f"/orders/{order.number}", status_code=303)


@page
def order_history(ctx: Ctx) -> Response:
    """The signed-in user's orders."""
    if ctx.user is None:
        return RedirectResponse("/account/signin?next=/orders", status_code=303)
    return ctx.render("orders.html", title="Your orders", orders=orders_of(ctx.db, ctx.user.id))


@page
def order_detail(ctx: Ctx) -> Response:
    """One of the signed-in user's orders."""
    if ctx.user is None:
        return RedirectResponse("/account/signin?next=/orders", status_code=303)
    number = ctx.request.path_params["number"]
    order = ctx.db.scalar(select(Order).where(Order.number == number))
    if order is None or order.user_id != ctx.user.id:
        return _not_found(ctx, "order")
    return ctx.render("order.html", title=f"Order {order.number}", order=order)
