"""Log lines that a flood of requests cannot multiply: at most one a key per interval.

Each line carries `suppressed`, how many like it were left out since the last one for its
key; the metrics count every event exactly, the log only shows that it is happening.
"""

from __future__ import annotations

import time
from typing import Any

import structlog


class SampledLog:
    """At most one log line per key (e.g. a rejection reason) every `interval` seconds."""

    def __init__(self, logger: Any, interval: float = 1.0) -> None:
        self.logger = logger
        self.interval = interval
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def info(self, key: str, event: str, **fields: Any) -> bool:
        """Log `event` with `fields` unless `key` was logged within the interval; True if it was."""
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self._suppressed[key] = self._suppressed.get(key, 0) + 1
            return False
        self._last[key] = now
        suppressed = self._suppressed.pop(key, 0)
        self.logger.info(event, suppressed=suppressed, **fields)
        return True


def sampled(name: str, interval: float = 1.0) -> SampledLog:
    """A `SampledLog` writing to the structlog logger `name`."""
    return SampledLog(structlog.get_logger(name), interval)
