"""The counters of sibling worker processes (`ingest serve --workers N`), through small files.

Every worker writes a snapshot of its counters to `<folder>/<node>.json` once a second and when
it stops (written aside, then renamed, so a reader never sees half of one). Whichever worker a
scrape of `/metrics` reaches adds the others' files to its own live counters, so one port serves
one set of totals. The snapshot also holds the worker's live counters (`live`), which `/live`
adds up the same way. A worker that died leaves its last file, so the totals never go backwards
while the parent runs; `clickstream ingest serve` empties the folder when it starts.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from pathlib import Path
from typing import Any

import structlog

from clickstream.ingest.http.metrics import IngestMetrics
from clickstream.ingest.live import LiveCounters

PUBLISH_SECONDS = 1.0
log = structlog.get_logger("clickstream.ingest.metrics")


def reset(folder: Path) -> None:
    """Forget the snapshots of an earlier run (the parent calls it before starting workers)."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


class SharedMetrics:
    """Publishes this worker's counters to `folder` and reads its siblings'."""

    def __init__(
        self, folder: Path, node: str, metrics: IngestMetrics, live: LiveCounters | None = None
    ) -> None:
        self.folder = folder
        self.node = node
        self.metrics = metrics
        self.live = live
        self._own = folder / f"{node}.json"

    def publish(self) -> None:
        """Write this worker's snapshot (never raises: metrics must not stop the ingest)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            aside = self.folder / f".{self.node}.json.tmp"
            snapshot = self.metrics.snapshot()
            if self.live is not None:
                snapshot["live"] = self.live.snapshot()
            aside.write_bytes(json.dumps(snapshot).encode())
            os.replace(aside, self._own)
        except (OSError, RuntimeError) as exc:  # RuntimeError: a counter grew mid-copy
            log.warning("metrics_publish_failed", error=type(exc).__name__)

    def siblings(self) -> list[dict[str, Any]]:
        """The last snapshot of every other worker (live or dead) since the parent started."""
        found: list[dict[str, Any]] = []
        with contextlib.suppress(FileNotFoundError):
            for path in sorted(self.folder.glob("*.json")):
                if path == self._own:
                    continue
                try:
                    found.append(json.loads(path.read_bytes()))
                except (OSError, ValueError):
                    continue  # removed or being replaced right now
        return found
