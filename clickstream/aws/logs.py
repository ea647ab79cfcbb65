"""JSON log lines and CloudWatch embedded-metric-format records, written to standard output.

A Lambda's standard output goes to its CloudWatch log group; a line with an `_aws` member
becomes metrics there with no API call (docs/aws.md lists them). No structlog: it would add
to every cold start.
"""

from __future__ import annotations

import sys
import time
from typing import Any

from clickstream import jsonio, utc

NAMESPACE = "Clickstream"


def log(event: str, level: str = "info", **fields: Any) -> None:
    """One JSON log line: time, level, event and `fields`."""
    line = {"timestamp": utc.isoformat(utc.now()), "level": level, "event": event, **fields}
    sys.stdout.write(jsonio.dumps(line).decode() + "\n")
    sys.stdout.flush()


def metric_record(
    metrics: dict[str, float], dimensions: dict[str, str] | None = None, unit: str = "Count"
) -> dict[str, Any]:
    """An embedded-metric-format record of `metrics` under `dimensions` in our namespace."""
    dimensions = dimensions or {}
    units = {name: ("Milliseconds" if name.endswith("Ms") else unit) for name in metrics}
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": NAMESPACE,
                    "Dimensions": [sorted(dimensions)],
                    "Metrics": [{"Name": name, "Unit": units[name]} for name in metrics],
                }
            ],
        },
        **dimensions,
        **metrics,
    }


def put_metrics(metrics: dict[str, float], dimensions: dict[str, str] | None = None) -> None:
    """Write `metrics` as one embedded-metric-format line."""
    sys.stdout.write(jsonio.dumps(metric_record(metrics, dimensions)).decode() + "\n")
    sys.stdout.flush()
