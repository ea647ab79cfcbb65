"""The Live page in a real Chromium over a real ingest: events posted to the ingest appear
within a refresh, a replica that does not answer is named, and the top pages' CSV download
holds exactly the rows the table shows (formulas made inert)."""

from __future__ import annotations

import csv
import io
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from clickstream.dashboard import formatting
from clickstream.dashboard.app import create_app
from clickstream.dashboard.configuration import DashboardSettings
from clickstream.dashboard.livefeed import LiveRead
from clickstream.dashboard.pages.live import status_line
from clickstream.settings import load
from tests.browser import ARTIFACTS, chromium
from tests.conftest import ServerThread
from tests.dashboard.conftest import _database, as_dashboard
from tests.ingest.conftest import Ingest, running_ingest

pytestmark = pytest.mark.browser
TIMEOUT = 20_000
SHOP = "https://shop.example"
VISITS = [  # (client, page): three visitors, four pages, one of them a would-be formula
    ("c1", f"{SHOP}/"),
    ("c1", f"{SHOP}/cart?step=2"),
    ("c2", f"{SHOP}/"),
    ("c3", f"{SHOP}/"),
    ("c3", "=HYPERLINK(1)"),
    ("c2", f"{SHOP}/p/42"),
]


@pytest.fixture(scope="module")
def ingest(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ingest]:
    with running_ingest(tmp_path_factory.mktemp("live-ingest")) as running:
        yield running


@pytest.fixture(scope="module")
def page(embedded_admin_url: str, ingest: Ingest) -> Iterator[tuple[Page, str]]:
    # A replica nobody answers on: the port stays bound (never listening) for the module, so
    # no other worker's server can take it.
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    dead = f"http://127.0.0.1:{holder.getsockname()[1]}/live"
    settings = load(
        DashboardSettings,
        dashboard_auth="none",
        dashboard_live_urls=f"{ingest.server.url}/live, {dead}",
        dashboard_live_refresh_seconds=1,
    )
    for url in _database(embedded_admin_url):
        with ServerThread(create_app(as_dashboard(url), settings)) as server, chromium() as browser:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            opened = context.new_page()
            opened.goto(server.url + "/")
            opened.click(".navbar a[data-value='live']")
            yield opened, dead
            context.close()
    holder.close()


def test_live_page_shows_posted_events_within_a_refresh_and_names_a_missing_replica(
    page: tuple[Page, str], ingest: Ingest, tmp_path: Path
) -> None:
    # One test: the CSV check reads the rows this one posts (xdist may split a module's tests).
    shown, dead = page
    status = shown.locator("#live-status")
    expect(status).to_contain_text("Provisional", timeout=TIMEOUT)
    expect(status).to_contain_text(f"Not counted: {dead} (cannot connect")
    expect(status).to_contain_text("from 1 of 2 ingest replicas")
    body = [{"event_name": "page_view", "client_id": c, "page_url": p} for c, p in VISITS]
    assert ingest.post(body).status_code == 202
    kpi = shown.locator("#live-kpis [data-kpi='events'] .kpi-value")
    expect(kpi).to_have_text(formatting.count(len(VISITS)), timeout=TIMEOUT)
    expect(shown.locator("#live-kpis [data-kpi='visitors'] .kpi-value")).to_have_text("3")
    rows = shown.locator("#live-pages_table tbody tr")
    expect(rows).to_have_count(4)
    assert rows.nth(0).locator("td").all_inner_texts() == [f"{SHOP}/", "3"]
    ARTIFACTS.mkdir(exist_ok=True)
    shown.screenshot(path=str(ARTIFACTS / "dashboard-live.png"), full_page=True)

    # The top pages' CSV download is the rows the table shows.
    table = shown.locator("#live-pages_table")
    expect(table.locator("tbody tr")).to_have_count(4, timeout=TIMEOUT)
    heads = table.locator("thead th").all_inner_texts()
    cells = [r.locator("td").all_inner_texts() for r in table.locator("tbody tr").all()]
    with shown.expect_download() as download:
        table.locator("a.csv-download").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "live-pages_table.csv"
    raw = saved.read_bytes().decode()
    assert "\r\n" in raw
    parsed = list(csv.reader(io.StringIO(raw, newline="")))
    assert parsed[0] == heads == ["Page", "Page views"]
    expected = [
        ["'" + page if page.startswith("=") else page, views.replace(",", "")]
        for page, views in cells
    ]
    assert parsed[1:] == expected
    assert ["'=HYPERLINK(1)", "1"] in parsed  # a formula is text in the file


def test_the_page_says_so_when_no_ingest_answers() -> None:
    read = LiveRead(
        sources=[], failures=[("http://10.0.0.9/live", "cannot connect (ConnectError)")]
    )
    text = str(status_line(read, 1, 10.0, None))
    assert "the ingest cannot be reached: http://10.0.0.9/live (cannot connect" in text
