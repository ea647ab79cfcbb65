"""Live counters: the last 30 minutes of acknowledged events, per minute and site, for the
dashboard's Live page (`GET /live`). Provisional: the warehouse stays the source of truth."""

from clickstream.ingest.live.counters import WINDOW_MINUTES, LiveCounters, page_of
from clickstream.ingest.live.sketch import Sketch
from clickstream.ingest.live.window import LiveWindow, MinuteCount, merge_cells, summarise

__all__ = [
    "WINDOW_MINUTES",
    "LiveCounters",
    "LiveWindow",
    "MinuteCount",
    "Sketch",
    "merge_cells",
    "page_of",
    "summarise",
]
