"""Prometheus metrics of one ingest process, in a registry of its own."""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class IngestMetrics:
    """Accepted events, rejections by reason, spool size, ship lag and request latency."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.accepted_events = Counter(
            "clickstream_ingest_accepted_events",
            "Events acknowledged (durable in the spool).",
            registry=self.registry,
        )
        self.accepted_requests = Counter(
            "clickstream_ingest_accepted_requests",
            "Requests acknowledged with 202.",
            registry=self.registry,
        )
        self.rejected = Counter(
            "clickstream_ingest_rejected_requests",
            "Requests refused, by reason.",
            ["reason"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "clickstream_ingest_request_seconds",
            "Time from request start to response on POST /clickstream.",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.spool_bytes = Gauge(
            "clickstream_ingest_spool_bytes",
            "Bytes in the local spool waiting for the lake.",
            registry=self.registry,
        )
        self.ship_lag = Gauge(
            "clickstream_ingest_ship_lag_seconds",
            "Age of the oldest event not yet in the lake.",
            registry=self.registry,
        )
        self.ship_failures = Gauge(
            "clickstream_ingest_ship_failures",
            "Failed attempts to ship spool files to the lake since start.",
            registry=self.registry,
        )

    def render(self, spool_bytes: Callable[[], float], lag: Callable[[], float]) -> bytes:
        """The text exposition, with the gauges read now."""
        self.spool_bytes.set(spool_bytes())
        self.ship_lag.set(lag())
        return generate_latest(self.registry)
