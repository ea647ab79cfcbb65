"""Sign-in throttling: so many failed attempts per client IP and per login in a window.

A failure counts against both the address and the login; once either is spent, sign-in waits
for the window that began with its first failure to end, even with the right password, so
guessing cannot go on from many addresses against one account or from one address against
many. Counts live in the dashboard's one process.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class FailureWindow:
    """Failures per key within `window_seconds` of the key's first one."""

    def __init__(
        self, limit: int, window_seconds: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window_seconds = window_seconds
        self._clock = clock
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (first failure, failures)
        self._lock = threading.Lock()

    def wait_for(self, key: str) -> float:
        """Seconds `key` must wait before its next attempt; 0 when it may try now."""
        now = self._clock()
        with self._lock:
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window_seconds:
                self._windows.pop(key, None)
                return 0.0
            return start + self.window_seconds - now if count >= self.limit else 0.0

    def fail(self, key: str) -> None:
        """Count one failure by `key`."""
        now = self._clock()
        with self._lock:
            if len(self._windows) > 10_000:
                self._sweep(now)
            start, count = self._windows.get(key, (now, 0))
            if now - start >= self.window_seconds:
                start, count = now, 0
            self._windows[key] = (start, count + 1)

    def forget(self, key: str) -> None:
        """Clear `key`'s failures (after it signed in)."""
        with self._lock:
            self._windows.pop(key, None)

    def _sweep(self, now: float) -> None:
        for key in [k for k, (s, _) in self._windows.items() if now - s >= self.window_seconds]:
            del self._windows[key]


class SignInThrottle:
    """One window per client IP and one per login."""

    def __init__(self, per_ip: int, per_login: int, window_seconds: float) -> None:
        self.by_ip = FailureWindow(per_ip, window_seconds)
        self.by_login = FailureWindow(per_login, window_seconds)

    def wait_for(self, ip: str, login: str) -> float:
        """Seconds to wait before this address may try this login; 0 when it may now."""
        return max(self.by_ip.wait_for(ip), self.by_login.wait_for(login))

    def failed(self, ip: str, login: str) -> None:
        """Count a failed attempt against the address and the login."""
        self.by_ip.fail(ip)
        self.by_login.fail(login)

    def succeeded(self, login: str) -> None:
        """The login signed in: its own count starts again (the address's does not)."""
        self.by_login.forget(login)
