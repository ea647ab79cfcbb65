"""A site that is not the built-in shop adopts the tracker, as its owner would: a page on its own
origin loads the two-line snippet from the collector's origin in Chromium, and its events are
found in the warehouse under its site id after `etl run`. The origin is allowed because the
site is registered (no CORS setting by hand); single-page route changes are page views;
cookieless mode keeps nothing in the browser; the versioned file loads with its SRI hash."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from playwright.sync_api import Browser, Page
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.warehouse.sites import make_site, save_site
from tests.browser import chromium
from tests.conftest import ServerThread, free_port, lake_records
from tests.ingest.conftest import Ingest, running_ingest

pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True),
]

QUEUE = (
    "<script>window.clickstream=window.clickstream||function(){"
    "(clickstream.q=clickstream.q||[]).push(arguments)}</script>"
)


def site_pages(ingest_url: str) -> Starlette:
    """The blog: plain HTML pages with the snippet, as `clickstream sites snippet` prints it."""
    manifest = httpx.get(ingest_url + "/clickstream.json").json()

    def page(loader: str) -> str:
        # A call made before the tracker loaded waits in the snippet's queue.
        early = "<script>clickstream('newsletter_signup', {properties: {plan: 'weekly'}})</script>"
        return f"<!doctype html><title>blog</title><body>{QUEUE}{loader}{early}</body>"

    stable = (
        f'<script async src="{ingest_url}/clickstream.js" data-site="blog" '
        'data-batch="1" data-interval="200"></script>'
    )
    pinned = (
        f'<script async src="{manifest["versioned_url"]}" integrity="{{integrity}}" '
        'crossorigin="anonymous" data-site="blog" data-cookieless data-batch="1" '
        'data-interval="200"></script>'
    )

    async def index(request: Request) -> Response:
        return HTMLResponse(page(stable))

    async def private(request: Request) -> Response:
        integrity = request.query_params.get("integrity", manifest["integrity"])
        return HTMLResponse(page(pinned.replace("{integrity}", integrity)))

    return Starlette(routes=[Route("/", index), Route("/private", private)])


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def blog(warehouse_url: str, tmp_path: Path) -> Iterator[tuple[Ingest, ServerThread]]:
    """The ingest API with `blog` registered for the page server's origin, and that server."""
    page_port = free_port()
    with psycopg.connect(warehouse_url) as conn:
        save_site(conn, make_site("blog", "The blog", [f"http://127.0.0.1:{page_port}"]))
    with (
        running_ingest(
            tmp_path, ingest_ship_before_ack=True, ingest_sites_db_url=warehouse_url
        ) as ingest,
        ServerThread(site_pages(ingest.server.url), port=page_port) as pages,
    ):
        yield ingest, pages


def _wait_for_lake(ingest: Ingest, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 15
    while len(records := lake_records(ingest.lake_dir)) < count:
        assert time.monotonic() < deadline, f"{len(records)} of {count} events arrived"
        time.sleep(0.1)
    return records


def _tracker_loaded(page: Page) -> None:
    page.wait_for_function("window.clickstream && !window.clickstream.q", timeout=10000)


def test_a_page_on_another_origin_sends_events_that_reach_the_warehouse_under_its_site(
    browser: Browser, blog: tuple[Ingest, ServerThread], warehouse_url: str
) -> None:
    ingest, pages = blog
    context = browser.new_context()
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "CORS" in m.text else None)
    bodies: list[str] = []
    page.on("request", lambda r: bodies.append(r.post_data or "") if r.method == "POST" else None)
    page.goto(pages.url + "/")
    _tracker_loaded(page)
    page.evaluate(
        """clickstream('purchase', {
            order: {id: 'o-17', total: 42.5, currency: 'EUR', item_count: 2},
            items: [{id: 'sku-1', name: 'Mug', category: 'Kitchen', brand: 'Acme',
                     variant: 'blue', price: 20, discount_price: 18.5, quantity: 2}]})"""
    )
    page.evaluate("history.pushState({}, '', '/pricing')")  # a single-page route change
    page.evaluate("history.back()")  # popstate: back on the first route
    records = _wait_for_lake(ingest, 5)
    context.close()

    assert refused == []
    # items[] leave the browser as given (the event contract takes them from there)
    sent = next(json.loads(b) for b in bodies if '"purchase"' in b)[0]
    assert sent["items"][0] == {
        "id": "sku-1",
        "name": "Mug",
        "category": "Kitchen",
        "brand": "Acme",
        "variant": "blue",
        "price": 20,
        "discount_price": 18.5,
        "quantity": 2,
    }
    assert {r["site_id"] for r in records} == {"blog"}
    purchase = next(r for r in records if r["event_name"] == "purchase")
    assert purchase["order"]["id"] == "o-17"
    run_etl(warehouse_url, open_lake(str(ingest.lake_dir)))
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT event_name, page_url, referrer, order_total, site_id FROM clickstream_events"
            " ORDER BY client_timestamp, received_at"
        ).fetchall()
    assert [r[0] for r in rows] == [
        "page_view",
        "newsletter_signup",
        "purchase",
        "page_view",
        "page_view",
    ]
    assert {r[4] for r in rows} == {"blog"}
    assert float(rows[2][3]) == 42.5
    first, routed, back = rows[0], rows[3], rows[4]
    assert routed[1] == pages.url + "/pricing" and routed[2] == first[1]
    assert back[1] == first[1] and back[2] == routed[1]


def test_cookieless_mode_keeps_nothing_in_the_browser_and_the_server_counts_the_visitor(
    browser: Browser, blog: tuple[Ingest, ServerThread]
) -> None:
    ingest, pages = blog
    context = browser.new_context()
    page = context.new_page()
    page.goto(pages.url + "/private")  # the versioned file, checked by its SRI hash
    _tracker_loaded(page)
    page.evaluate("clickstream('search', {properties: {q: 'tea'}})")
    records = _wait_for_lake(ingest, 3)
    stored = page.evaluate("[localStorage.length, sessionStorage.length, document.cookie]")
    context.close()

    assert stored == [0, 0, ""]
    assert {r["site_id"] for r in records} == {"blog"}
    visitors = {r["client_id"] for r in records}
    assert len(visitors) == 1 and visitors.pop().startswith("h.")
    assert all("session_id" not in r for r in records)


def test_a_tracker_file_that_does_not_match_its_integrity_never_runs(
    browser: Browser, blog: tuple[Ingest, ServerThread]
) -> None:
    ingest, pages = blog
    context = browser.new_context()
    page = context.new_page()
    wrong = "sha384-" + "A" * 64
    page.goto(pages.url + "/private?integrity=" + wrong)
    page.wait_for_timeout(500)
    queued = page.evaluate("window.clickstream.q.length")
    context.close()

    assert queued == 1  # still the snippet's queue: the browser refused the file
    assert lake_records(ingest.lake_dir) == []
