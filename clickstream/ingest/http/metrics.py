"""Prometheus metrics of one ingest process, in a registry of its own.

The hot path only bumps plain integers (a lock-free `+= 1` under the GIL, from the event loop);
they become Prometheus families when `/metrics` is scraped. With several worker processes on one
port, each publishes a `snapshot` of its counters and a scrape adds them up (`shared_metrics`).
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class IngestMetrics:
    """Accepted events, rejections by reason, spool size, ship lag and request latency."""

    def __init__(self) -> None:
        self.accepted_events = 0
        self.accepted_requests = 0
        self.rejected: Counter[str] = Counter()
        self.cors_refused: Counter[str] = Counter()
        self.latency_counts = [0] * (len(LATENCY_BUCKETS) + 1)
        self.latency_sum = 0.0
        self.spool_bytes = 0.0
        self.ship_lag = 0.0
        self.ship_failures = 0
        self.registry = CollectorRegistry()
        self.registry.register(_Exporter(self))

    def accept(self, events: int) -> None:
        """Count one acknowledged request of `events` events."""
        self.accepted_requests += 1
        self.accepted_events += events

    def reject(self, reason: str) -> None:
        """Count one refused request."""
        self.rejected[reason] += 1

    def cors_refuse(self, reason: str) -> None:
        """Count one request refused (or left without CORS headers) for its origin."""
        self.cors_refused[reason] += 1

    def observe(self, seconds: float) -> None:
        """Record one request's latency."""
        self.latency_counts[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.latency_sum += seconds

    def render(
        self,
        spool_bytes: float,
        lag: float,
        failures: int,
        others: Iterable[dict[str, Any]] = (),
    ) -> bytes:
        """The text exposition, with the gauges given as read now.

        `others` are the `snapshot`s of sibling worker processes: their counters are added to
        this process's (the gauges describe the spool folder they share, read here).
        """
        self.spool_bytes, self.ship_lag, self.ship_failures = spool_bytes, lag, failures
        others = list(others)
        if not others:
            return generate_latest(self.registry)
        total = IngestMetrics()
        for snapshot in [self.snapshot(), *others]:
            total.add(snapshot)
        total.spool_bytes, total.ship_lag = spool_bytes, lag
        return generate_latest(total.registry)

    def snapshot(self) -> dict[str, Any]:
        """The counters as plain JSON values, for a sibling process to add up."""
        return {
            "accepted_events": self.accepted_events,
            "accepted_requests": self.accepted_requests,
            "rejected": dict(self.rejected),
            "cors_refused": dict(self.cors_refused),
            "latency_counts": list(self.latency_counts),
            "latency_sum": self.latency_sum,
            "ship_failures": self.ship_failures,
        }

    def add(self, snapshot: dict[str, Any]) -> None:
        """Add the counters of `snapshot` (from `snapshot`) to these."""
        self.accepted_events += int(snapshot.get("accepted_events", 0))
        self.accepted_requests += int(snapshot.get("accepted_requests", 0))
        self.rejected.update({str(k): int(v) for k, v in snapshot.get("rejected", {}).items()})
        self.cors_refused.update(
            {str(k): int(v) for k, v in snapshot.get("cors_refused", {}).items()}
        )
        counts = snapshot.get("latency_counts", [])
        if len(counts) == len(self.latency_counts):
            pairs = zip(self.latency_counts, counts, strict=True)
            self.latency_counts = [a + int(b) for a, b in pairs]
        self.latency_sum += float(snapshot.get("latency_sum", 0.0))
        self.ship_failures += int(snapshot.get("ship_failures", 0))


class _Exporter(Collector):
    def __init__(self, metrics: IngestMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        m = self.metrics
        yield CounterMetricFamily(
            "clickstream_ingest_accepted_events",
            "Events acknowledged (durable in the spool).",
            value=m.accepted_events,
        )
        yield CounterMetricFamily(
            "clickstream_ingest_accepted_requests",
            "Requests acknowledged with 202.",
            value=m.accepted_requests,
        )
        rejected = CounterMetricFamily(
            "clickstream_ingest_rejected_requests",
            "Requests refused, by reason.",
            labels=["reason"],
        )
        for reason, count in sorted(m.rejected.items()):
            rejected.add_metric([reason], count)
        yield rejected
        cors = CounterMetricFamily(
            "clickstream_ingest_cors_refused_requests",
            "Browser requests from origins not on CLICKSTREAM_INGEST_CORS_ORIGINS, by reason.",
            labels=["reason"],
        )
        for reason, count in sorted(m.cors_refused.items()):
            cors.add_metric([reason], count)
        yield cors
        yield GaugeMetricFamily(
            "clickstream_ingest_spool_bytes",
            "Bytes in the local spool waiting for the lake.",
            value=m.spool_bytes,
        )
        yield GaugeMetricFamily(
            "clickstream_ingest_ship_lag_seconds",
            "Age of the oldest event not yet in the lake.",
            value=m.ship_lag,
        )
        yield GaugeMetricFamily(
            "clickstream_ingest_ship_failures",
            "Failed attempts to ship spool files to the lake since start.",
            value=m.ship_failures,
        )
        buckets = []
        running = 0
        for bound, count in zip((*LATENCY_BUCKETS, float("inf")), m.latency_counts, strict=True):
            running += count
            buckets.append(("+Inf" if bound == float("inf") else str(bound), running))
        yield HistogramMetricFamily(
            "clickstream_ingest_request_seconds",
            "Time from request start to response on POST /clickstream.",
            buckets=buckets,
            sum_value=m.latency_sum,
        )
