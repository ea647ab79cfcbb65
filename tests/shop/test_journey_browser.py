"""A shopper's whole journey in a real Chromium, from the first page to the warehouse.

A guest browses, searches, views products, adds three different products to the cart, signs
up, signs in and checks out. The tracker on the shop's pages sends the events cross-origin to
an ingest API; after an ETL run, the warehouse holds the purchase with the order's total and
its three lines, the session turning from `guest` to `logged_in`, and `identity_source` set;
the dashboard's Products page shows each product's units and revenue, which add up to
Overview's revenue and the order's total, the Pipeline page shows the order matched, and
the shopper came from a newsletter, so the Acquisition page shows the session under Email.

The ingest API is the real one, verifying the shop's tokens against its JWKS
(`authorizing_ingest`), so `logged_in` and `identity_source` are facts, not claims.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import Engine, select

from clickstream.dashboard import formatting
from clickstream.dashboard.app import create_app
from clickstream.dashboard.configuration import DashboardSettings
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.settings import load
from clickstream.shop.app import build_app, token_policy
from clickstream.shop.db import session_factory
from clickstream.shop.models import Order
from tests.browser import ARTIFACTS, chromium
from tests.conftest import ServerThread, free_port
from tests.dashboard.conftest import as_dashboard, auth_off_settings
from tests.dashboard.test_dashboard_browser import Visit
from tests.shop.fixtures import authorizing_ingest, shop_settings

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def test_guest_to_customer_journey_lands_in_the_warehouse_with_the_order_total(
    browser: Browser,
    shop_engine: Engine,
    media_dir: Path,
    lake_dir: Path,
    warehouse_url: str,
    shop_database_url: str,
    request: pytest.FixtureRequest,
) -> None:
    shop_port, ingest_port = free_port(), free_port()
    shop_url = f"http://127.0.0.1:{shop_port}"
    settings = shop_settings(
        media_dir,
        shop_public_url=shop_url,
        tracker_ingest_url=f"http://127.0.0.1:{ingest_port}/clickstream",
    )
    ingest = authorizing_ingest(lake_dir, shop_url, token_policy(settings))
    errors: list[str] = []
    with (
        ServerThread(build_app(settings, shop_engine), port=shop_port),
        ServerThread(ingest, port=ingest_port),
    ):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)

        # The shopper comes from a newsletter: its UTM tags are on the landing page's URL.
        page.goto(shop_url + "/?utm_source=newsletter&utm_medium=email")
        page.click("nav >> text=Watches")
        page.fill("input[name=q]", "kestrel")
        page.press("input[name=q]", "Enter")
        page.wait_for_selector("h1:has-text('Search: kestrel')")
        page.click(".product-card h3 a >> nth=0")
        page.go_back()
        page.click(".product-card h3 a >> nth=1")
        page.fill("input[name=quantity]", "2")
        first = page.url
        page.click("#add-to-cart")
        page.wait_for_selector("#cart-total")
        # Two more, different products: the order has three lines.
        page.goto(shop_url + "/")
        links = page.eval_on_selector_all(".product-card h3 a", "links => links.map(a => a.href)")
        for link in [link for link in dict.fromkeys(links) if link != first][:2]:
            page.goto(link)
            page.click("#add-to-cart")
            page.wait_for_selector("#cart-total")

        email = f"journey-{uuid.uuid4().hex[:6]}@example.com"
        page.click("#signup-link")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", "Journey pass 2026")
        page.click("#signup-submit")  # sign-up signs in
        page.wait_for_selector("#welcome")
        page.wait_for_selector("#signout")

        page.click("#cart-link")
        page.click("#checkout-link")
        page.wait_for_selector("#place-order")
        page.click("#place-order")
        page.wait_for_selector("#order-number")
        order_number = page.inner_text("#order-number").strip()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"shop-order-{request.node.callspec.id}.png"))
        page.wait_for_function(
            "JSON.parse(localStorage.getItem('cs_q') || '[]').length === 0", timeout=20000
        )
        client_id = page.evaluate("localStorage.getItem('cs_cid')")
        context.close()

    with session_factory(shop_engine)() as db:
        order = db.scalar(select(Order).where(Order.number == order_number))
        assert order is not None
        total, user_id = order.total, order.user_id
        lines = {str(i.product_id): (i.quantity, i.unit_price * i.quantity) for i in order.items}
    assert len(lines) == 3 and sorted(q for q, _ in lines.values()) == [1, 1, 2]
    assert sum(revenue for _, revenue in lines.values()) == total

    run_etl(warehouse_url, open_lake(str(lake_dir)))
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT event_name, user_login_state, identity_source, user_id, session_id,"
            " order_total, order_number FROM clickstream_events WHERE client_id = %s"
            " ORDER BY event_timestamp, received_at",
            (client_id,),
        ).fetchall()
        urls = conn.execute(
            "SELECT page_url, referrer FROM clickstream_events WHERE client_id = %s", (client_id,)
        ).fetchall()
    # No personal data in the analytics: the sign-up never put the e-mail in a URL.
    assert any("/account/signup" in (url or "") for url, _ in urls)
    for shown in (email, quote(email), email.split("@")[0]):
        assert [u for u in urls if shown in (u[0] or "") or shown in (u[1] or "")] == []
    names = [r[0] for r in rows]
    for expected in (
        "page_view", "category_view", "search", "product_view", "add_to_cart",
        "sign_up", "begin_checkout", "purchase",
    ):  # fmt: skip
        assert expected in names, f"{expected} missing from {names}"
    purchases = [r for r in rows if r[0] == "purchase"]
    assert len(purchases) == 1
    assert purchases[0][5] == Decimal(total)
    assert purchases[0][6] == order_number
    states = [r[1] for r in rows]
    first_logged_in = states.index("logged_in")
    assert set(states[:first_logged_in]) == {"guest"}
    assert set(states[first_logged_in:]) == {"logged_in"}
    assert names[first_logged_in] in ("sign_up", "page_view")
    assert {r[2] for r in rows[first_logged_in:]} == {shop_url}
    assert {r[3] for r in rows[first_logged_in:]} == {user_id}
    assert len({r[4] for r in rows}) == 1  # one session, from guest to signed in
    assert errors == []

    # The Acquisition page shows the session under Email, converting, with the order's total.
    with (
        ServerThread(create_app(as_dashboard(warehouse_url), auth_off_settings())) as dashboard,
        browser.new_context(viewport={"width": 1400, "height": 1000}) as context,
    ):
        page = context.new_page()
        page.goto(dashboard.url + "/")
        page.click(".navbar a[data-value='acquisition']")
        page.check("#include_bots")  # headless Chromium says so in its user agent
        email = page.locator("#acquisition-by_channel_table tbody tr", has_text="Email")
        expect(email.locator("[data-col=sessions]")).to_have_text("1", timeout=30_000)
        expect(email.locator("[data-col=conversion]")).to_have_text("100.0%")
        expect(email.locator("[data-col=revenue]")).to_have_text(formatting.money(total))
        expect(page.locator("#acquisition-by_source_medium_table")).to_contain_text(
            "newsletter / email"
        )
    with psycopg.connect(warehouse_url) as conn:
        items = conn.execute(
            "SELECT item_id, quantity, quantity * coalesce(discount_price, price), order_id "
            "FROM event_items WHERE event_name = 'purchase'"
        ).fetchall()
    assert {i[0]: (i[1], i[2]) for i in items} == lines
    assert {i[3] for i in items} == {str(order.id)}
    _dashboard_shows_the_order(browser, warehouse_url, shop_database_url, lines, total)


def _dashboard_shows_the_order(
    browser: Browser,
    warehouse_url: str,
    shop_database_url: str,
    lines: dict[str, tuple[int, Decimal]],
    total: Decimal,
) -> None:
    """Products: each product's units and revenue; their sum is Overview's revenue and the
    order's total; Pipeline: the order matched with its purchase event."""
    # Sign-in is not what this test is about.
    settings = load(DashboardSettings, dashboard_auth="none", shop_db_url=shop_database_url)
    with ServerThread(create_app(as_dashboard(warehouse_url), settings)) as dashboard:
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        visit = Visit(context.new_page(), dashboard.url)
        visit.page.on("pageerror", lambda e: visit.errors.append(str(e)))
        visit.page.goto(dashboard.url + "/")
        visit.show("overview")
        visit.page.check("#include_bots")  # headless Chromium's user agent reads as a bot
        visit.show("overview")
        expect(visit.kpi("overview", "revenue")).to_have_text(formatting.money(total))
        visit.show("products")
        table = visit.page.locator("#products-top_table tbody tr")
        expect(table.first).to_be_visible()
        shown: dict[str, tuple[str, str]] = {}
        for index in range(table.count()):
            row = table.nth(index)
            shown[row.locator("[data-col=product_id]").inner_text()] = (
                row.locator("[data-col=units]").inner_text(),
                row.locator("[data-col=revenue]").inner_text(),
            )
        # Each product bought shows its units and revenue; products only viewed earned nothing.
        assert {p: v for p, v in shown.items() if v[0] != "0"} == {
            product: (formatting.count(units), formatting.money(revenue))
            for product, (units, revenue) in lines.items()
        }
        assert sum(Decimal(v[1].split()[0].replace(",", "")) for v in shown.values()) == total
        expect(visit.kpi("products", "revenue")).to_have_text(formatting.money(total))
        visit.show("pipeline")
        matched = visit.page.locator(
            "#pipeline-orders_table tbody tr", has_text="Orders with their purchase event"
        )
        expect(matched.locator("[data-col=count]")).to_have_text("1")
        expect(matched.locator("[data-col=total]")).to_have_text(formatting.money(total))
        lost = visit.page.locator("#pipeline-orders_table tbody tr", has_text="tracking lost")
        expect(lost.locator("[data-col=count]")).to_have_text("0")
        assert visit.errors == []
        context.close()
