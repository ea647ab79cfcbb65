"""A limit on account attempts (sign-in, sign-up, password reset) per client IP.

Each client IP may make `limit` attempts in a window of `window_seconds` that starts with its
first attempt; past the limit it waits for the window to end. Windows that ended are swept
once per window, so memory holds only the addresses seen lately. The counts live in this
process: each shop replica limits on its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class AttemptLimiter:
    """Counts attempts per key and says whether one more is allowed."""

    def __init__(
        self, limit: int, window_seconds: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, attempts)
        self._swept = clock()
        self._lock = threading.Lock()

    def attempt(self, key: str) -> float | None:
        """Count an attempt by `key`: None when allowed, else the seconds left to wait."""
        if self.limit <= 0:
            return None
        now = self._clock()
        with self._lock:
            if now - self._swept >= self.window_seconds:
                self._sweep(now)
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window_seconds:
                start, count = now, 0
            if count >= self.limit:
                return start + self.window_seconds - now
            self._windows[key] = (start, count + 1)
        return None

    def _sweep(self, now: float) -> None:
        ended = [k for k, (start, _) in self._windows.items() if now - start >= self.window_seconds]
        for key in ended:
            del self._windows[key]
        self._swept = now
