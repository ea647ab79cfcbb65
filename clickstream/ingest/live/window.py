"""Adding up live counters from several sources, and the window a Live page shows.

A source is a list of cells in the `/live` wire form (`Cell.as_json`): one per worker process,
or one per replica. Cells of the same minute and site add up (events and page views summed,
visitor sketches merged), so a visitor seen by two workers or two replicas counts once.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from clickstream.ingest.live.counters import TOP_PAGES, WINDOW_MINUTES, minute_text
from clickstream.ingest.live.sketch import Sketch


class _Merged:
    __slots__ = ("events", "pages", "visitors")

    def __init__(self) -> None:
        self.events = 0
        self.visitors = Sketch()
        self.pages: Counter[str] = Counter()


Key = tuple[str, str]  # (minute as RFC 3339, site)


def _merged(sources: Iterable[Iterable[dict[str, Any]]]) -> dict[Key, _Merged]:
    found: dict[Key, _Merged] = {}
    for cells in sources:
        for cell in cells:
            try:
                key = (str(cell["minute"]), str(cell["site"]))
                events = int(cell.get("events", 0))
                visitors = Sketch.unpacked(cell.get("visitors", ()))
                pages = {str(page): int(n) for page, n in dict(cell.get("pages", {})).items()}
            except (KeyError, TypeError, ValueError):
                continue  # a cell from another version or a torn read: skip it, keep the rest
            into = found.get(key)
            if into is None:
                into = found[key] = _Merged()
            into.events += events
            into.visitors.merge(visitors)
            into.pages.update(pages)
    return found


def merge_cells(sources: Iterable[Iterable[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The cells of every source added up per minute and site, in the same wire form."""
    return [
        {
            "minute": minute,
            "site": site,
            "events": cell.events,
            "visitors": cell.visitors.packed(),
            "pages": dict(cell.pages.most_common(TOP_PAGES)),
        }
        for (minute, site), cell in sorted(_merged(sources).items())
    ]


@dataclass(frozen=True)
class MinuteCount:
    """One minute of the window: its start, events and distinct visitors."""

    start: datetime
    events: int
    visitors: int


@dataclass(frozen=True)
class LiveWindow:
    """What the Live page shows: the last minutes, visitors over all of them, top pages."""

    minutes: list[MinuteCount]
    visitors: int
    events: int
    pages: list[tuple[str, int]]


def summarise(
    sources: Iterable[Iterable[dict[str, Any]]],
    now: datetime,
    sites: Sequence[str] | None = None,
    window_minutes: int = WINDOW_MINUTES,
    top: int = 10,
) -> LiveWindow:
    """The window ending at `now` (UTC-aware) over `sites` (None: every site)."""
    last = now.replace(second=0, microsecond=0)
    starts = [last - timedelta(minutes=window_minutes - 1 - i) for i in range(window_minutes)]
    wanted = None if sites is None else set(sites)
    per_minute: dict[str, _Merged] = {}
    for (minute, site), cell in _merged(sources).items():
        if wanted is not None and site not in wanted:
            continue
        into = per_minute.setdefault(minute, _Merged())
        into.events += cell.events
        into.visitors.merge(cell.visitors)
        into.pages.update(cell.pages)
    everyone = Sketch()
    pages: Counter[str] = Counter()
    minutes = []
    for start in starts:
        found = per_minute.get(minute_text(int(start.timestamp()) // 60))
        if found is None:
            minutes.append(MinuteCount(start, 0, 0))
            continue
        minutes.append(MinuteCount(start, found.events, found.visitors.estimate()))
        everyone.merge(found.visitors)
        pages.update(found.pages)
    ranked = sorted(pages.items(), key=lambda item: (-item[1], item[0]))[:top]
    return LiveWindow(minutes, everyone.estimate(), sum(m.events for m in minutes), ranked)
