"""One ingest process's parts, wired from settings: collector, spool, shipper, auth, limits.

Built once (`clickstream.ingest.http.app.build_service`); `start` and `stop` bracket the
process (the app's lifespan calls them), and `stop` closes the spool and ships it, so a
graceful shutdown leaves nothing behind. The status routes ask it (`ready`, `spool_bytes`),
never its parts.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clickstream.events.geo import Locator, open_locator
from clickstream.ingest.auth.verifier import Authenticator
from clickstream.ingest.configuration import IngestSettings
from clickstream.ingest.core.collector import Collector, skew_window
from clickstream.ingest.core.limits import Limits
from clickstream.ingest.core.sites import DailySalts, SiteGate
from clickstream.ingest.durability.quarantine import Quarantine
from clickstream.ingest.durability.shipper import Shipper
from clickstream.ingest.durability.spool import Spool
from clickstream.ingest.http.client_ip import Network, parse_networks
from clickstream.ingest.http.metrics import IngestMetrics
from clickstream.ingest.http.ratelimit import LocalBuckets, RateLimiter, RedisBuckets
from clickstream.ingest.http.shared_metrics import PUBLISH_SECONDS, SharedMetrics
from clickstream.ingest.live import LiveCounters, merge_cells
from clickstream.ingest.registry import SiteRegistry, redis_salt_store
from clickstream.lake import LakeStore, open_lake

SWITCH_INTERVAL = 0.0002
LAKE_CHECK_SECONDS = 5.0


@dataclass(frozen=True)
class Readiness:
    """Whether the process can take events now, and each check behind the answer."""

    spool_writable: bool
    spool_has_room: bool
    lake: bool
    started: bool

    @property
    def ready(self) -> bool:
        """All checks pass."""
        return self.spool_writable and self.spool_has_room and self.lake and self.started

    def checks(self) -> dict[str, bool]:
        """The checks by name, as `/readyz` shows them."""
        return {
            "spool_writable": self.spool_writable,
            "spool_has_room": self.spool_has_room,
            "lake": self.lake,
        }


class IngestService:
    """The parts of one ingest process, wired from `settings`."""

    def __init__(
        self,
        settings: IngestSettings,
        lake: LakeStore | None = None,
        metrics_folder: Path | None = None,
    ) -> None:
        """`metrics_folder`: where sibling worker processes share their counters, if any."""
        self.settings = settings
        self.node = f"{settings.node_id}-{os.getpid()}"
        self.lake = lake or open_lake(settings.lake_location)
        self.limits = Limits.from_settings(settings)
        skew = skew_window(settings)
        self.sites: SiteRegistry | None = None
        if settings.ingest_sites_db_url is not None:
            self.sites = SiteRegistry(
                settings.ingest_sites_db_url.get_secret_value(),
                settings.ingest_sites_refresh_seconds,
            )
        redis = settings.redis_url.get_secret_value() if settings.redis_url else None
        self.gate = SiteGate(
            self.sites.snapshot if self.sites is not None else None,
            DailySalts(redis_salt_store(redis) if redis else None),
            settings.ingest_retry_after_seconds,
        )
        self.collector = Collector(
            self.node, skew=skew, limits=self.limits, lake=self.lake, gate=self.gate
        )
        self.spool = Spool(
            settings.ingest_spool_location,
            self.node,
            file_bytes=settings.ingest_spool_file_bytes,
            file_seconds=settings.ingest_spool_file_seconds,
            max_bytes=settings.ingest_spool_max_bytes,
        )
        self.quarantine = Quarantine(self.node, per_minute=settings.ingest_quarantine_per_minute)
        self.shipper = Shipper(
            self.spool,
            self.lake,
            interval=settings.ingest_ship_interval_seconds,
            quarantine=self.quarantine,
            max_backoff=settings.ingest_ship_max_backoff_seconds,
        )
        self.auth = Authenticator.from_settings(settings)
        self.locator: Locator = open_locator(settings.ingest_geoip_database)
        self.trusted_proxies: tuple[Network, ...] = parse_networks(settings.ingest_trusted_proxies)
        self.limiter: RateLimiter | None = None
        rate, burst = settings.ingest_rate_limit_per_second, settings.ingest_rate_limit_burst
        if rate > 0 and settings.redis_url is not None:
            self.limiter = RedisBuckets(
                settings.redis_url.get_secret_value(),
                rate,
                burst,
                prefix=settings.ingest_rate_limit_prefix,
            )
        elif rate > 0:
            self.limiter = LocalBuckets(rate, burst)
        self.metrics = IngestMetrics()
        self.live = LiveCounters() if settings.ingest_live else None
        self.shared_metrics: SharedMetrics | None = None
        if metrics_folder is not None:
            self.shared_metrics = SharedMetrics(metrics_folder, self.node, self.metrics, self.live)
        self._publisher: asyncio.Task[None] | None = None
        self.retry_after = settings.ingest_retry_after_seconds
        self.started = False

    def start(self) -> None:
        """Open the spool, load the token keys and ship what earlier processes left."""
        if self.started:
            return
        # fsync results come back to the busy event loop through the GIL; at the default
        # 5 ms switch interval each hand-off can wait that long (measured: 5.4k -> 8.3k
        # requests/s and p99 195 -> 15 ms at 0.2 ms, see docs/ingest.md)
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))
        self.spool.start()
        if self.auth.keys is not None:
            self.auth.keys.load()
        if self.sites is not None:
            self.sites.start()
        self.shipper.start()
        self.started = True

    def stop(self) -> None:
        """Close the spool and ship every file in it (bounded in time)."""
        if not self.started:
            return
        self.spool.close()
        self.shipper.stop()
        if self.sites is not None:
            self.sites.stop()
        self.started = False

    async def astart(self) -> None:
        """`start` off the event loop; with sibling workers, publish the counters every second."""
        await asyncio.to_thread(self.start)
        if self.shared_metrics is not None and self._publisher is None:
            self._publisher = asyncio.get_running_loop().create_task(self._publish_metrics())

    async def _publish_metrics(self) -> None:
        assert self.shared_metrics is not None
        while True:
            self.metrics.ship_failures = self.ship_failures()
            self.shared_metrics.publish()
            await asyncio.sleep(PUBLISH_SECONDS)

    async def astop(self) -> None:
        """`stop` from the event loop that appended, then release the rate-limit store."""
        if self._publisher is not None:
            self._publisher.cancel()
            self._publisher = None
        if self.started:
            self.spool.close()  # in the loop's thread, which owns the open file
            await asyncio.to_thread(self.shipper.stop)
            if self.sites is not None:
                await asyncio.to_thread(self.sites.stop)
            self.started = False
        if self.shared_metrics is not None:
            self.metrics.ship_failures = self.ship_failures()
            self.shared_metrics.publish()  # the last counts of this worker
        if isinstance(self.limiter, RedisBuckets):
            await self.limiter.close()

    # --- what the status routes ask ------------------------------------------------------------
    def cors_origins(self) -> frozenset[str]:
        """The registered sites' origins (empty without a registry)."""
        return self.sites.origins() if self.sites is not None else frozenset()

    def spool_bytes(self) -> int:
        """Bytes in the spool waiting for the lake."""
        return self.spool.usage

    def ship_lag_seconds(self) -> float:
        """Age of the oldest event not yet in the lake."""
        return self.shipper.lag_seconds()

    def ship_failures(self) -> int:
        """Failed attempts to ship to the lake since start."""
        return self.shipper.failures

    def metrics_text(self) -> bytes:
        """The Prometheus text exposition, gauges read now; sibling workers' counters added."""
        others = self.shared_metrics.siblings() if self.shared_metrics is not None else ()
        return self.metrics.render(
            float(self.spool_bytes()), self.ship_lag_seconds(), self.ship_failures(), others
        )

    def live_cells(self) -> list[dict[str, Any]] | None:
        """The live counters of this process and its sibling workers, added up (None: off)."""
        if self.live is None:
            return None
        own = self.live.snapshot()
        if self.shared_metrics is None:
            return own
        others = [s.get("live", []) for s in self.shared_metrics.siblings()]
        return merge_cells([own, *others])

    async def ready(self) -> Readiness:
        """Whether a write can succeed now: the spool's disk takes bytes, the lake answers."""
        spool_ok = await asyncio.to_thread(self.spool.can_write)
        try:
            lake_ok = await asyncio.wait_for(
                asyncio.to_thread(self._lake_reachable), LAKE_CHECK_SECONDS
            )
        except TimeoutError:
            lake_ok = False
        room = self.spool.usage < self.spool.max_bytes
        return Readiness(spool_ok, room, lake_ok, self.started)

    def _lake_reachable(self) -> bool:
        if not self.shipper.lake_ok:  # the last attempt to ship failed
            return False
        try:
            for _ in self.lake.list("events/0000/"):
                break
        except OSError:
            return False
        return True
