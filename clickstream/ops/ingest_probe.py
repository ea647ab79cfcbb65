"""What the ingest replicas' `/metrics` say, and the rates between two scrapes.

The scheduler keeps one `IngestProbe` for its life, so reject and 5xx rates are measured over
the interval between two alarm checks. A one-shot check has no earlier scrape: its rates are
unknown, and unknown never opens or resolves an incident.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

METRICS_TIMEOUT_SECONDS = 3.0


@functools.cache
def server_error_reasons() -> frozenset[str]:
    """The reasons of the ingest API's 5xx refusals."""
    # Imported on first use, like the HTTP client and the metrics parser below: the alarm
    # check after every `etl run` imports this module but has no replica to scrape (these
    # imports are about 0.02 s of CPU, the ingest API's core included).
    from clickstream.ingest.core.errors import Rejected

    pending, found = [Rejected], set()
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.status >= 500:
            found.add(cls.reason)
    return frozenset(found)


@dataclass(frozen=True)
class IngestSample:
    """Counters and gauges summed over every replica that answered."""

    accepted_requests: float
    rejected: dict[str, float]
    spool_bytes: float
    ship_lag_seconds: float
    replicas: int


@dataclass(frozen=True)
class IngestRates:
    """Requests and rejections between two samples."""

    requests: float
    rejected: float
    server_errors: float


def scrape(urls: list[str]) -> IngestSample | None:
    """Read every replica's `/metrics`; None when none answered."""
    # Imported here: the alarm check after every `etl run` imports this module, and scrapes
    # only when CLICKSTREAM_ALARM_INGEST_METRICS_URLS names a replica (the parser: ~0.025 s).
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    accepted, lag, spool, replicas = 0.0, 0.0, 0.0, 0
    rejected: dict[str, float] = {}
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=METRICS_TIMEOUT_SECONDS) as response:  # noqa: S310
                text = response.read().decode("utf-8", errors="replace")
        except OSError:
            continue
        replicas += 1
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name == "clickstream_ingest_accepted_requests_total":
                    accepted += sample.value
                elif sample.name == "clickstream_ingest_rejected_requests_total":
                    reason = sample.labels.get("reason", "?")
                    rejected[reason] = rejected.get(reason, 0.0) + sample.value
                elif sample.name == "clickstream_ingest_spool_bytes":
                    spool += sample.value
                elif sample.name == "clickstream_ingest_ship_lag_seconds":
                    lag = max(lag, sample.value)
    if replicas == 0:
        return None
    return IngestSample(accepted, rejected, spool, lag, replicas)


def rates(before: IngestSample, after: IngestSample) -> IngestRates | None:
    """What happened between two samples; None when a counter went back (a restart)."""
    accepted = after.accepted_requests - before.accepted_requests
    rejected = {
        reason: value - before.rejected.get(reason, 0.0) for reason, value in after.rejected.items()
    }
    if accepted < 0 or any(value < 0 for value in rejected.values()):
        return None
    refused = sum(rejected.values())
    errors = sum(v for reason, v in rejected.items() if reason in server_error_reasons())
    return IngestRates(requests=accepted + refused, rejected=refused, server_errors=errors)


class IngestProbe:
    """Scrapes the replicas at each check and remembers the previous sample."""

    def __init__(self, urls: list[str]) -> None:
        self.urls = urls
        self.previous: IngestSample | None = None
        self.current: IngestSample | None = None
        self.window: IngestRates | None = None

    def refresh(self) -> None:
        """Take a new sample; the window covers the time since the last one."""
        sample = scrape(self.urls)
        self.window = rates(self.current, sample) if self.current and sample else None
        self.previous, self.current = self.current, sample
