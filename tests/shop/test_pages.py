"""The shop over real HTTP: catalogue pages, search, media caching, cart and order flow."""

from __future__ import annotations

import re

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clickstream.shop.models import Brand, Category, Product


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def tracker_events(html: str) -> list[list[object]]:
    import json

    found = re.search(r'id="cs-events">(.*?)</script>', html, re.S)
    assert found
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_seeded_catalogue_has_sixty_products_six_categories_fifteen_brands(db: Session) -> None:
    counts = [db.scalar(select(func.count()).select_from(t)) for t in (Product, Category, Brand)]
    assert counts == [60, 6, 15]


def test_pages_render_and_every_page_loads_the_tracker(client: httpx.Client) -> None:
    for path in ("/", "/category/shoes", "/product/northwind-runner", "/search?q=watch", "/cart"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert re.search(r'<script src="/static/clickstream-[0-9a-f]+\.min\.js"', response.text)
    assert client.get("/category/nope").status_code == 404


def test_search_finds_by_brand_and_reports_a_search_event(client: httpx.Client) -> None:
    html = client.get("/search", params={"q": "kestrel"}).text
    names = re.findall(r'<h3><a href="/product/[^"]+">([^<]+)</a>', html)
    assert names and all("Kestrel" in name for name in names)
    assert tracker_events(html) == [
        ["search", {"properties": {"query": "kestrel", "results": len(names)}}]
    ]


def test_media_is_immutable_with_an_etag_and_revalidates_to_304(client: httpx.Client) -> None:
    html = client.get("/product/northwind-runner").text
    image = re.search(r'src="(/media/products/[^"]+\.svg)"', html)
    assert image
    first = client.get(image.group(1))
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/svg+xml"
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = client.get(image.group(1), headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/media/../secrets").status_code == 404


def test_post_without_the_csrf_token_is_refused_and_changes_nothing(client: httpx.Client) -> None:
    client.get("/")
    response = client.post("/cart/add", data={"product_id": "1"})
    assert response.status_code == 403
    assert "Cart (0)" in client.get("/cart").text


def test_guest_cart_merges_on_sign_in_and_checkout_refuses_out_of_stock(
    client: httpx.Client, db: Session
) -> None:
    token = csrf_of(client.get("/product/northwind-runner").text)
    client.post("/cart/add", data={"csrf": token, "product_id": "1", "quantity": "3"})
    signed_up = client.post(
        "/account/signup",
        data={"csrf": token, "email": "shopper@example.com", "password": "long enough 12"},
        follow_redirects=True,
    )
    # Sign-up signs in: the guest's cart followed the new user, who is told so.
    assert "Cart (3)" in signed_up.text and 'id="signout"' in signed_up.text
    assert 'id="welcome"' in signed_up.text
    signed_out = client.post(
        "/account/signout", data={"csrf": csrf_of(signed_up.text)}, follow_redirects=True
    )
    assert "Cart (0)" in signed_out.text
    signed_in = client.post(
        "/account/signin",
        data={
            "csrf": csrf_of(client.get("/account/signin").text),
            "email": "shopper@example.com",
            "password": "long enough 12",
        },
        follow_redirects=True,
    )
    assert "Cart (3)" in signed_in.text  # the user's cart again after signing back in
    product = db.get(Product, 1)
    assert product is not None
    product.stock = 2
    db.commit()

    checkout = client.get("/checkout")
    refused = client.post("/checkout", data={"csrf": csrf_of(checkout.text)})
    assert refused.status_code == 409
    assert "Northwind Runner is out of stock (only 2 left)" in refused.text

    product.stock = 10
    db.commit()
    placed = client.post("/checkout", data={"csrf": csrf_of(checkout.text)}, follow_redirects=True)
    assert placed.status_code == 200
    purchase = tracker_events(placed.text)[-1]
    assert purchase[0] == "purchase"
    history = client.get("/orders").text
    number = re.search(r'id="order-number">([^<]+)<', placed.text)
    assert number and number.group(1) in history
