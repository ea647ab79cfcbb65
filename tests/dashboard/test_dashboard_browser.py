"""The dashboard in a real Chromium shows what the warehouse holds."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, sync_playwright

from clickstream.dashboard.app import create_app
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from tests.conftest import ServerThread

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _fill_lake(lake_dir: Path) -> None:
    lines = []
    for day, count in ((20, 3), (21, 5), (22, 4)):
        for n in range(count):
            lines.append(
                json.dumps(
                    {
                        "event_id": str(uuid.uuid4()),
                        "event_name": "page_view",
                        "client_id": f"c{n % 4}",
                        "event_timestamp": f"2026-11-{day}T10:0{n}:00Z",
                        "received_at": f"2026-11-{day}T10:0{n}:01Z",
                    }
                )
            )
    key = "events/2026/11/22/10/n-20261122T100000000000Z-000001.ndjson.gz"
    open_lake(str(lake_dir)).put(key, gzip.compress("\n".join(lines).encode()))


def test_dashboard_shows_the_warehouse_totals_without_console_errors(
    browser: Browser, lake_dir: Path, warehouse_url: str, request: pytest.FixtureRequest
) -> None:
    _fill_lake(lake_dir)
    run_etl(warehouse_url, open_lake(str(lake_dir)))
    with psycopg.connect(warehouse_url) as conn:
        events, clients = conn.execute(
            "SELECT count(*), count(DISTINCT client_id) FROM clickstream_events"
        ).fetchone() or (0, 0)
    assert (events, clients) == (12, 4)

    with ServerThread(create_app(warehouse_url)) as server:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(server.url + "/")
        page.wait_for_function(
            "document.querySelector('#total_events')?.innerText.trim().length > 0", timeout=20000
        )
        page.wait_for_selector("#events_per_day .plot-container", timeout=20000)
        shown_events = page.inner_text("#total_events").strip()
        shown_clients = page.inner_text("#unique_clients").strip()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{request.node.callspec.id}.png"))
        page.close()

    assert shown_events == f"{events:,}"
    assert shown_clients == f"{clients:,}"
    assert errors == []
