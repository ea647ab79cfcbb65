"""The site registry as an ingest replica sees it: read from the warehouse, cached, refreshed.

A background thread reads `sites` every `ingest_sites_refresh_seconds`; requests only ever read
the last snapshot, so the collector never waits for the database. When the warehouse does not
answer, the last snapshot stays in use (and a warning is logged, sampled); before the first
successful read, events for the default site are accepted and events naming any other site
get 503 (the tracker retries them). Without `ingest_sites_db_url` there is no registry: the
default site is the only one.
"""

from __future__ import annotations

import threading
from datetime import date

import psycopg
import structlog

from clickstream.ingest.core.sites import Registry, SaltStore
from clickstream.warehouse.sites import list_sites

log = structlog.get_logger("clickstream.ingest.sites")
CONNECT_TIMEOUT_SECONDS = 3


class SiteRegistry:
    """Registered sites read from the warehouse at `url`, refreshed every `interval` seconds."""

    def __init__(self, url: str, interval: float) -> None:
        self.url = url
        self.interval = interval
        self._snapshot = Registry({}, loaded=False)
        self._stop = threading.Event()
        self._tried = threading.Event()  # set once the first read succeeded or failed
        self._thread: threading.Thread | None = None
        self.failures = 0

    def snapshot(self) -> Registry:
        """The last sites read (not loaded before the first successful read)."""
        return self._snapshot

    def origins(self) -> frozenset[str]:
        """Every registered site's origins, for CORS."""
        return self._snapshot.origins

    def refresh(self) -> bool:
        """Read the sites now; False (keeping the last snapshot) when the warehouse fails."""
        try:
            with psycopg.connect(self.url, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
                sites = list_sites(conn)
        except psycopg.Error as exc:
            self.failures += 1
            if self.failures == 1 or self.failures % 20 == 0:
                log.warning(
                    "site_registry_unreachable",
                    error=type(exc).__name__,
                    failures=self.failures,
                    using="last snapshot" if self._snapshot.loaded else "default site only",
                )
            return False
        self._snapshot = Registry.of(sites)
        self.failures = 0
        return True

    def start(self, wait_seconds: float = 2.0) -> None:
        """Start refreshing; wait up to `wait_seconds` for the first read to answer."""
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="site-registry", daemon=True)
        self._thread.start()
        self._tried.wait(wait_seconds)

    def stop(self) -> None:
        """Stop refreshing (the last snapshot stays readable)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=CONNECT_TIMEOUT_SECONDS + 1)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            self.refresh()
            self._tried.set()
            self._stop.wait(self.interval)


def redis_salt_store(url: str) -> SaltStore:
    """A `SaltStore` keeping each day's salt in Redis for two days, shared by replicas."""
    import redis

    client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)

    def shared(day: date, fresh: bytes) -> bytes:
        key = f"clickstream:visitor-salt:{day.isoformat()}"
        client.set(key, fresh, nx=True, ex=2 * 86400)
        stored = client.get(key)
        return stored if isinstance(stored, bytes) and stored else fresh

    return shared
