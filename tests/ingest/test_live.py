"""The ingest's live counters: a visitor sketch that merges, per-minute cells per site, and
`GET /live` over real HTTP, added up across worker processes (shared files) and replicas."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx

from clickstream import utc
from clickstream.dashboard.livefeed import read_live
from clickstream.events.schema import Event
from clickstream.ingest.http.app import build_app, build_service
from clickstream.ingest.http.shared_metrics import PUBLISH_SECONDS
from clickstream.ingest.live import LiveCounters, Sketch, merge_cells, summarise
from clickstream.ingest.live.counters import MAX_SITES
from tests.ingest.conftest import Ingest, IngestServerThread, settings_for


def test_the_sketch_counts_distinct_visitors_and_merging_counts_a_shared_one_once() -> None:
    small, other = Sketch(), Sketch()
    for n in range(7):
        small.add(f"client-{n}")
        small.add(f"client-{n}")  # a repeat counts once
    for n in range(5, 12):
        other.add(f"client-{n}")
    assert (small.estimate(), other.estimate()) == (7, 7)
    small.merge(other)
    assert small.estimate() == 12  # 0..11: the two they share (5, 6) counted once
    assert Sketch.unpacked(small.packed()).registers == small.registers

    large = Sketch()
    for n in range(20_000):
        large.add(f"visitor-{n}")
    assert abs(large.estimate() - 20_000) < 20_000 * 0.05
    assert all(not str(v).startswith("visitor") for v in large.packed())  # registers only


def test_counters_keep_thirty_minutes_per_site_with_pages_without_query() -> None:
    live = LiveCounters()
    start = datetime(2026, 12, 3, 9, 0, tzinfo=UTC).timestamp()
    live.record([Event("page_view", client_id="old", page_url="https://s/old")], now=start)
    events = [
        Event("page_view", client_id="a", page_url="https://s/p?x=1#top"),
        Event("page_view", client_id="b", page_url="https://s/p"),
        Event("add_to_cart", client_id="a", page_url="https://s/p"),
        Event("page_view", client_id="c", page_url="https://t/", site_id="other"),
        Event("login"),  # no visitor id: an event, no visitor
    ]
    later = start + 40 * 60
    live.record(events, now=later)
    cells = live.snapshot(now=later)
    assert [(c["minute"], c["site"], c["events"]) for c in cells] == [
        ("2026-12-03T09:40:00Z", "default", 4),
        ("2026-12-03T09:40:00Z", "other", 1),
    ]  # the 09:00 minute left the window
    assert cells[0]["pages"] == {"https://s/p": 2}
    now = datetime.fromtimestamp(later, UTC)
    every = summarise([cells], now)
    assert (every.events, every.visitors, every.pages) == (
        5,
        3,
        [("https://s/p", 2), ("https://t/", 1)],
    )
    assert len(every.minutes) == 30 and every.minutes[-1].events == 5
    one = summarise([cells], now, sites=["other"])
    assert (one.events, one.visitors, one.pages) == (1, 1, [("https://t/", 1)])
    assert summarise([cells], now, sites=["nobody"]).events == 0
    assert live.snapshot(now=later + 60) == cells  # a past minute, as it was

    flood = LiveCounters()
    flood.record([Event("click", site_id=f"s{n}") for n in range(MAX_SITES + 50)], now=later)
    assert len(flood.snapshot(now=later)) == MAX_SITES  # made-up sites cannot grow it unbounded


@contextmanager
def _served(
    tmp_path: Path, node: str, metrics: Path | None = None, **overrides: object
) -> Iterator[Ingest]:
    settings = settings_for(tmp_path / node, node_id=node, **overrides)
    (tmp_path / node / "lake").mkdir(parents=True)
    service = build_service(settings, metrics_folder=metrics)
    with IngestServerThread(build_app(settings, service)) as server:
        yield Ingest(server, service, tmp_path / node / "lake", settings.ingest_spool_location)


def _visit(ingest: Ingest, clients: list[str], page: str) -> None:
    body = [{"event_name": "page_view", "client_id": c, "page_url": page} for c in clients]
    assert ingest.post(body).status_code == 202


def _live(ingest: Ingest) -> list[dict[str, object]]:
    response = httpx.get(f"{ingest.server.url}/live", timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["provisional"] is True
    return response.json()["cells"]  # type: ignore[no-any-return]


def test_live_route_adds_up_sibling_workers_and_the_dashboard_merges_replicas(
    tmp_path: Path,
) -> None:
    shared = tmp_path / "metrics"
    with ExitStack() as stack:
        first = stack.enter_context(_served(tmp_path, "w1", shared))
        second = stack.enter_context(_served(tmp_path, "w2", shared))  # a sibling worker
        replica = stack.enter_context(_served(tmp_path, "r2"))  # another replica
        _visit(first, ["a", "b"], "https://shop.example/")
        _visit(second, ["b", "c"], "https://shop.example/")
        _visit(replica, ["c", "d", "e"], "https://shop.example/cart?step=1")
        deadline = time.monotonic() + 5 * PUBLISH_SECONDS + 5
        while True:  # the sibling's snapshot is published once a second
            workers = summarise([_live(first)], utc.now())
            if workers.events == 4 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert (workers.events, workers.visitors) == (4, 3)  # "b" seen by both counts once

        urls = [f"{first.server.url}/live", f"{replica.server.url}/live"]
        read = asyncio.run(read_live(urls))
        assert read.failures == []
        merged = summarise(read.sources, utc.now())
        assert (merged.events, merged.visitors) == (7, 5)
        assert merged.pages == [("https://shop.example/", 4), ("https://shop.example/cart", 3)]
        # Merged per minute and site: the posts may straddle a minute, never count twice.
        assert sum(cell["events"] for cell in merge_cells(read.sources)) == 7

        replica.server.__exit__(None, None, None)  # a replica gone: named, the rest still read
        partial = asyncio.run(read_live(urls))
        assert partial.reached == 1
        assert partial.failures[0][0] == urls[1] and "cannot connect" in partial.failures[0][1]


def test_live_route_is_private_and_can_be_turned_off(tmp_path: Path) -> None:
    with _served(tmp_path, "far", ingest_metrics_networks="10.0.0.0/8") as far:
        response = httpx.get(f"{far.server.url}/live", timeout=10)
        assert response.status_code == 404
    with _served(tmp_path, "off", ingest_live=False) as off:
        _visit(off, ["a"], "https://shop.example/")
        response = httpx.get(f"{off.server.url}/live", timeout=10)
        assert response.status_code == 404
        assert "CLICKSTREAM_INGEST_LIVE=false" in response.json()["detail"]
        assert off.service.live is None
