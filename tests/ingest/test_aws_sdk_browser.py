"""The AWS Clickstream Analytics web SDK (`@aws/clickstream-web`, installed by `make sdks` from a
hash-pinned lock file) in Chromium, pointed at our ingest API: its events, with its `appId` as
the site, reach the warehouse."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.responses import FileResponse, HTMLResponse, Response
from starlette.routing import Route

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.warehouse.sites import make_site, save_site
from tests.browser import chromium
from tests.conftest import ServerThread, free_port, lake_records, require_file
from tests.ingest.conftest import running_ingest

ROOT = Path(__file__).resolve().parents[2]
CLICKSTREAM_WEB = ROOT / ".venv" / "share" / "clickstream" / "sdks" / "clickstream-web.js"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True),
]

PAGE = """<!doctype html><title>aws sdk shop</title><body>
<script src="/clickstream-web.js"></script>
<script>
const {ClickstreamAnalytics, SendMode} = ClickstreamWeb;
ClickstreamAnalytics.init({appId: "awsshop", endpoint: "INGEST/collect",
                           sendMode: SendMode.Immediate, isLogEvents: true});
ClickstreamAnalytics.record({name: "view_item",
  items: [{id: "sku-1", name: "Mug", category: "Kitchen", brand: "Acme", price: 20}]});
ClickstreamAnalytics.record({name: "purchase",
  attributes: {transaction_id: "o-5", value: 40, currency: "usd", coupon: "WINTER"},
  items: [{id: "sku-1", name: "Mug", price: 20, quantity: 2}]});
</script></body>"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_file(
        CLICKSTREAM_WEB, "@aws/clickstream-web, built by `make sdks` (part of `make test`)"
    )
    with chromium() as launched:
        yield launched


def test_the_aws_clickstream_sdks_events_reach_the_warehouse_under_its_app_id(
    browser: Browser, warehouse_url: str, tmp_path: Path
) -> None:
    page_port = free_port()
    with psycopg.connect(warehouse_url) as conn:
        save_site(conn, make_site("awsshop", "AWS SDK shop", [f"http://127.0.0.1:{page_port}"]))
    with running_ingest(
        tmp_path, ingest_ship_before_ack=True, ingest_sites_db_url=warehouse_url
    ) as ingest:
        html = PAGE.replace("INGEST", ingest.server.url)

        async def index(request: object) -> Response:
            return HTMLResponse(html)

        async def sdk(request: object) -> Response:
            return FileResponse(CLICKSTREAM_WEB, media_type="text/javascript")

        pages = Starlette(routes=[Route("/", index), Route("/clickstream-web.js", sdk)])
        with ServerThread(pages, port=page_port) as server:
            context = browser.new_context()
            page = context.new_page()
            logs: list[str] = []
            page.on("console", lambda m: logs.append(m.text))
            page.goto(server.url + "/")
            deadline = time.monotonic() + 15
            names: set[str] = set()
            while not {"product_view", "purchase"} <= names:
                assert time.monotonic() < deadline, f"the SDK's events did not arrive: {logs}"
                time.sleep(0.1)
                names = {r["event_name"] for r in lake_records(ingest.lake_dir)}
            context.close()

    assert not [line for line in logs if "Request failed" in line]  # the SDK saw success
    run_etl(warehouse_url, open_lake(str(ingest.lake_dir)))
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT event_name, site_id, context_product_id, order_id, order_total,"
            " order_currency, order_item_count, page_url, client_id, session_id,"
            " properties->>'coupon' FROM clickstream_events"
        ).fetchall()
    by_name = {r[0]: r for r in rows}
    assert {r[1] for r in rows} == {"awsshop"}
    assert {"page_view", "first_open", "product_view", "purchase"} <= set(by_name)
    assert by_name["product_view"][2] == "sku-1"
    purchase = by_name["purchase"]
    assert (purchase[3], float(purchase[4]), purchase[5], purchase[6]) == ("o-5", 40.0, "USD", 2)
    assert purchase[10] == "WINTER"
    assert by_name["page_view"][7] == f"http://127.0.0.1:{page_port}/"
    assert len({r[8] for r in rows}) == 1 and len({r[9] for r in rows if r[9]}) == 1
