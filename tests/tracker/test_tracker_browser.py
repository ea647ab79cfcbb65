"""The tracker in a real Chromium: batching, and retries with the same event ids after the
ingest API was down, so the warehouse holds each event exactly once.

The test page and the ingest API are on different origins, as in production, and the ingest
lets the page's origin in through its own CORS allow-list (`CLICKSTREAM_INGEST_CORS_ORIGINS`).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Browser, Request
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from clickstream.etl.run import run_etl
from clickstream.ingest.configuration import IngestSettings
from clickstream.ingest.http.app import build_app as build_ingest
from clickstream.lake import open_lake
from clickstream.tracker.build import MINIFIED
from tests.browser import chromium
from tests.conftest import ServerThread, free_port

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def page_app(ingest_url: str, dnt: bool = True) -> Starlette:
    """A page that loads the tracker with small batches and a short interval."""
    html = (
        "<!doctype html><title>t</title><body>"
        f'<script src="/t.js" data-endpoint="{ingest_url}" data-batch="3" '
        f'data-interval="300"{"" if dnt else " data-dnt=0"}></script></body>'
    )

    async def index(request: object) -> Response:
        return HTMLResponse(html)

    async def tracker(request: object) -> Response:
        return Response(MINIFIED.read_bytes(), media_type="text/javascript")

    return Starlette(routes=[Route("/", index), Route("/t.js", tracker)])


def ingest_app(lake_dir: Path, origin: str) -> object:
    """The ingest as deployed: its own CORS allow-list, its spool beside the test's lake."""
    settings = IngestSettings(  # type: ignore[call-arg]
        lake_url=str(lake_dir),
        data_dir=lake_dir.parent / "ingest-data",
        node_id="testnode",
        ingest_cors_origins=origin,
    )
    return build_ingest(settings)


def _ids(request: Request) -> list[str]:
    return [event["event_id"] for event in json.loads(request.post_data or "[]")]


def test_tracker_retries_while_ingest_is_down_and_the_warehouse_gets_each_event_once(
    browser: Browser, lake_dir: Path, warehouse_url: str
) -> None:
    ingest_port = free_port()
    ingest_url = f"http://127.0.0.1:{ingest_port}/clickstream"
    with ServerThread(page_app(ingest_url)) as site:
        context = browser.new_context()
        page = context.new_page()
        failed: list[list[str]] = []
        sent: list[list[str]] = []
        page.on("requestfailed", lambda r: failed.append(_ids(r)) if r.method == "POST" else None)
        page.on("requestfinished", lambda r: sent.append(_ids(r)) if r.method == "POST" else None)

        page.goto(site.url + "/")  # queues page_view
        page.evaluate("clickstream('click', {properties: {n: 1}})")
        with page.expect_event("requestfailed", timeout=10000):
            page.evaluate("clickstream('add_to_cart', {product: {id: 'p1', price: 9.5}})")
        with page.expect_event("requestfailed", timeout=10000):
            pass  # the first retry, after back-off, fails too
        page.reload()  # leaving while the API is down must not hand the queue to a beacon
        reloaded = page.evaluate("JSON.parse(localStorage.getItem('cs_q')).map(e => e.event_id)")

        with ServerThread(ingest_app(lake_dir, site.url), port=ingest_port):
            page.wait_for_function(
                "JSON.parse(localStorage.getItem('cs_q') || '[]').length === 0", timeout=20000
            )
        context.close()

    assert len(failed) >= 2
    first = failed[0]
    assert len(first) == 3  # one batch of three: the size trigger
    assert all(attempt == first for attempt in failed)  # every retry: the same event ids
    assert reloaded[:3] == first and len(reloaded) == 4  # kept, plus the new page_view
    assert [ids for ids in sent if ids] == [first, reloaded[3:]]

    run_etl(warehouse_url, open_lake(str(lake_dir)))
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT event_id::text, event_name, is_first_visit FROM clickstream_events"
        ).fetchall()
    assert sorted(r[0] for r in rows) == sorted(reloaded)  # each event once, none lost
    firsts = sorted((r[1], r[2]) for r in rows)
    assert firsts == [
        ("add_to_cart", False),
        ("click", False),
        ("page_view", False),
        ("page_view", True),
    ]


def test_session_rotates_after_30_idle_minutes_but_the_client_id_stays(
    browser: Browser, lake_dir: Path
) -> None:
    with ServerThread(page_app("http://127.0.0.1:9/clickstream")) as site:
        context = browser.new_context()
        page = context.new_page()
        page.goto(site.url + "/")
        read = "JSON.parse(localStorage.getItem('cs_q'))"
        first = page.evaluate(f"{read}[0]")
        page.evaluate("localStorage.setItem('cs_sat', Date.now() - 31 * 60 * 1000)")
        page.reload()
        events = page.evaluate(read)
        page.evaluate("clickstream('search')")
        latest = page.evaluate(f"{read}.slice(-1)[0]")
        context.close()
    second = events[-1]
    assert second["client_id"] == first["client_id"]
    assert second["session_id"] != first["session_id"]
    assert latest["session_id"] == second["session_id"]  # active again: the session holds
    assert (first["is_first_visit"], second["is_first_visit"]) == (True, False)


@pytest.mark.parametrize("honour", [True, False], ids=["by-default", "data-dnt-0"])
def test_do_not_track_stops_all_tracking_unless_told_to_ignore_it(
    browser: Browser, honour: bool
) -> None:
    with ServerThread(page_app("http://127.0.0.1:9/clickstream", dnt=honour)) as site:
        context = browser.new_context()
        context.add_init_script("Object.defineProperty(navigator, 'doNotTrack', {get: () => '1'})")
        page = context.new_page()
        page.goto(site.url + "/")
        page.evaluate("clickstream('search')")
        stored = page.evaluate("[localStorage.getItem('cs_cid'), localStorage.getItem('cs_q')]")
        context.close()
    if honour:
        assert stored == [None, None]  # no id, no queue, nothing sent
    else:
        assert stored[0] is not None and len(json.loads(stored[1])) == 2
