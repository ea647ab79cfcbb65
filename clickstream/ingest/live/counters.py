"""The ingest's live counters: per minute and site, events, a visitor sketch and page views.

The hot path calls `LiveCounters.record` with each acknowledged batch's events, from the event
loop's thread (as it bumps the metrics), so there is no lock. A minute's cell costs a few
kilobytes at most: the sketch, and page counts pruned to the most viewed when they grow; at
most `MAX_SITES` sites a minute are counted (events of further sites that minute are not).
Cells older than the window are dropped as the minutes turn; a past minute's cells no longer
change, so their wire form is built once. These numbers are provisional:
the batch ETL's warehouse remains the source of truth.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from clickstream.events.schema import DEFAULT_SITE_ID, Event
from clickstream.ingest.live.sketch import Sketch

WINDOW_MINUTES = 30
TOP_PAGES = 50  # page counts a cell reports; it keeps up to four times as many while counting
# Sites counted in one minute: each costs a sketch, and without a site registry any site id
# passes the door, so a flood of made-up ones must not grow the counters without bound.
MAX_SITES = 200
# Visitors a cell remembers having sketched, by Python's own (per-process, salted) string hash:
# a visitor's later events that minute skip the BLAKE2b hash, most of the hot path's cost.
SEEN_CAP = 4096


def page_of(url: str) -> str:
    """The page of `url` as the warehouse's `page_daily` names it: no query, no fragment."""
    for mark in ("?", "#"):
        cut = url.find(mark)
        if cut >= 0:
            url = url[:cut]
    return url


def minute_text(minute: int) -> str:
    """The RFC 3339 start of epoch minute `minute`."""
    return datetime.fromtimestamp(minute * 60, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Cell:
    """One site's counts in one minute."""

    __slots__ = ("_seen", "events", "pages", "visitors")

    def __init__(self) -> None:
        self.events = 0
        self.visitors = Sketch()
        self.pages: Counter[str] = Counter()
        self._seen: set[int] = set()

    def visitor(self, client_id: str) -> None:
        """Count visitor `client_id` (sketched once a minute; repeats cost a set lookup)."""
        key = hash(client_id)
        seen = self._seen
        if key in seen:
            return
        if len(seen) < SEEN_CAP:
            seen.add(key)
        self.visitors.add(client_id)

    def page_view(self, page: str) -> None:
        """Count one view of `page`, keeping the page counts bounded."""
        pages = self.pages
        pages[page] += 1
        if len(pages) > 4 * TOP_PAGES:
            self.pages = Counter(dict(pages.most_common(TOP_PAGES)))

    def as_json(self, minute: int, site: str) -> dict[str, Any]:
        """The cell in the `/live` wire form."""
        return {
            "minute": minute_text(minute),
            "site": site,
            "events": self.events,
            "visitors": self.visitors.packed(),
            "pages": dict(self.pages.most_common(TOP_PAGES)),
        }


class LiveCounters:
    """The last `WINDOW_MINUTES` minutes of one process's acknowledged events."""

    def __init__(self, window_minutes: int = WINDOW_MINUTES) -> None:
        self.window = window_minutes
        self.minutes: dict[int, dict[str, Cell]] = {}
        self._minute = -1
        self._cells: dict[str, Cell] = {}
        self._closed: dict[int, list[dict[str, Any]]] = {}  # past minutes' wire form

    def record(self, events: Iterable[Event], now: float | None = None) -> None:
        """Count the events of one acknowledged batch (at `now`, epoch seconds)."""
        minute = int((time.time() if now is None else now) // 60)
        if minute != self._minute:
            self._turn(minute)
        cells = self._cells
        for event in events:
            site = event.site_id or DEFAULT_SITE_ID
            cell = cells.get(site)
            if cell is None:
                if len(cells) >= MAX_SITES:
                    continue
                cell = cells[site] = Cell()
            cell.events += 1
            if event.client_id is not None:
                cell.visitor(event.client_id)
            if event.event_name == "page_view" and event.page_url:
                cell.page_view(page_of(event.page_url))

    def _turn(self, minute: int) -> None:
        self._minute = minute
        self._cells = self.minutes.setdefault(minute, {})
        oldest = minute - self.window + 1
        for old in [m for m in self.minutes if m < oldest]:
            del self.minutes[old]
            self._closed.pop(old, None)

    def snapshot(self, now: float | None = None) -> list[dict[str, Any]]:
        """The window's cells in the `/live` wire form, oldest first."""
        current = int((time.time() if now is None else now) // 60)
        found: list[dict[str, Any]] = []
        for minute in sorted(self.minutes):
            if minute <= current - self.window:
                continue
            if minute < current and minute in self._closed:
                found += self._closed[minute]
                continue
            cells = [
                cell.as_json(minute, site) for site, cell in sorted(self.minutes[minute].items())
            ]
            if minute < current:
                self._closed[minute] = cells
            found += cells
        return found
