"""Segment's own analytics.js (`@segment/analytics-next`, fetched by `make sdks` with a pinned
version and hash) in Chromium, pointed at our ingest API: its page views and e-commerce events
reach the warehouse under the site its write key names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.warehouse.sites import make_site, save_site
from tests.browser import chromium
from tests.conftest import ServerThread, free_port, lake_records, require_file
from tests.ingest.conftest import running_ingest

ROOT = Path(__file__).resolve().parents[2]
ANALYTICS_NEXT = ROOT / ".venv" / "share" / "clickstream" / "sdks" / "analytics-next"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True),
]

PAGE = """<!doctype html><title>segment</title><body>
<script src="/analytics-next/bundles/index.js"></script>
<script>
window.sent = (async () => {
  const [analytics] = await AnalyticsNext.AnalyticsBrowser.load(
    {writeKey: "seg-key", cdnURL: location.origin,
     cdnSettings: {integrations: {"Segment.io": {apiKey: "seg-key", apiHost: "INGEST/v1",
                                                 protocol: "http"}}}},
    {integrations: {"Segment.io": {deliveryStrategy: {strategy: "standard"}}}});
  await analytics.page("Home");
  await analytics.track("Product Viewed", {product_id: "sku-1", name: "Mug", price: 20});
  await analytics.track("Order Completed", {order_id: "o-9", total: 40, currency: "usd",
    products: [{product_id: "sku-1", name: "Mug", price: 20, quantity: 2}]});
  return true;
})();
</script></body>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_file(
        ANALYTICS_NEXT / "index.js",
        "@segment/analytics-next, fetched by `make sdks` (part of `make test`)",
    )
    with chromium() as launched:
        yield launched


def test_segments_analytics_js_events_reach_the_warehouse_under_the_write_keys_site(
    browser: Browser, warehouse_url: str, tmp_path: Path
) -> None:
    page_port = free_port()
    with psycopg.connect(warehouse_url) as conn:
        site = make_site("seg", "Segment shop", [f"http://127.0.0.1:{page_port}"], "seg-key")
        save_site(conn, site)
    with running_ingest(
        tmp_path, ingest_ship_before_ack=True, ingest_sites_db_url=warehouse_url
    ) as ingest:
        html = PAGE.replace("INGEST", ingest.server.url.removeprefix("http://"))

        async def index(request: object) -> Response:
            return HTMLResponse(html)

        pages = Starlette(
            routes=[
                Route("/", index),
                Mount("/analytics-next/bundles", StaticFiles(directory=ANALYTICS_NEXT)),
            ]
        )
        with ServerThread(pages, port=page_port) as server:
            context = browser.new_context()
            page = context.new_page()
            page.goto(server.url + "/")
            assert page.evaluate("window.sent") is True
            deadline = time.monotonic() + 15
            while len(lake_records(ingest.lake_dir)) < 3:
                assert time.monotonic() < deadline, "analytics.js's events did not arrive"
                time.sleep(0.1)
            context.close()

    run_etl(warehouse_url, open_lake(str(ingest.lake_dir)))
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT event_name, site_id, context_product_id, order_id, order_total,"
            " order_currency, order_item_count, page_url, client_id FROM clickstream_events"
            " ORDER BY received_at"
        ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        ("page_view", "seg"),
        ("product_view", "seg"),
        ("purchase", "seg"),
    ]
    assert rows[1][2] == "sku-1"
    assert (rows[2][3], float(rows[2][4]), rows[2][5], rows[2][6]) == ("o-9", 40.0, "USD", 2)
    assert rows[0][7] == f"http://127.0.0.1:{page_port}/"
    assert len({r[8] for r in rows}) == 1 and rows[0][8]  # analytics.js's anonymousId
