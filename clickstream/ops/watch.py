"""Evaluate every alarm, record incidents, deliver notifications: after each ETL run and on a
timer. HTTP- and process-free, so the scheduler, the CLI or a Lambda can call `check`."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

import psycopg
import structlog

from clickstream.ops import incidents
from clickstream.ops.alarms import RULES, Context, Unknown
from clickstream.ops.channels import configured_channels
from clickstream.ops.configuration import OpsSettings
from clickstream.ops.delivery import DeliveryReport, deliver_due
from clickstream.ops.ingest_probe import IngestProbe

log = structlog.get_logger("clickstream.ops")


@dataclass(frozen=True)
class CheckResult:
    """What one check did."""

    transitions: list[incidents.Transition]
    delivery: DeliveryReport


def ingest_probe(settings: OpsSettings) -> IngestProbe:
    """A probe of the ingest replicas named in CLICKSTREAM_ALARM_INGEST_METRICS_URLS."""
    urls = [u for u in re.split(r"[\s,]+", settings.alarm_ingest_metrics_urls) if u]
    return IngestProbe(urls)


def check(
    warehouse_url: str, settings: OpsSettings, probe: IngestProbe | None = None
) -> CheckResult:
    """Evaluate alarms, open or resolve incidents, and try to deliver due notifications."""
    channels = configured_channels(settings)
    transitions = []
    if probe is not None:
        probe.refresh()
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        context = Context(conn=conn, settings=settings, ingest=probe)
        for name, rule in RULES.items():
            try:
                finding = rule(context)
            except psycopg.Error as exc:
                log.error("alarm_rule_failed", alarm=name, error=type(exc).__name__)
                continue
            if isinstance(finding, Unknown):
                continue
            transition = incidents.record(conn, name, finding, channels)
            if transition is not None:
                log.warning(
                    "incident", alarm=name, kind=transition.kind, summary=transition.summary
                )
                transitions.append(transition)
        delivery = deliver_due(conn, channels, settings.alert_retry_seconds)
    return CheckResult(transitions=transitions, delivery=delivery)


def safe_check(warehouse_url: str, settings: OpsSettings, probe: IngestProbe | None = None) -> None:
    """`check`, logging instead of raising: a broken alarm must not stop the scheduler."""
    try:
        check(warehouse_url, settings, probe)
    except Exception as exc:
        log.error("alarm_check_failed", error=f"{type(exc).__name__}: {exc}")


def watch_forever(
    warehouse_url: str,
    settings: OpsSettings,
    stop: threading.Event,
    probe: IngestProbe | None = None,
) -> None:
    """Call `safe_check` every `alarm_interval_seconds` until `stop` is set."""
    while not stop.wait(settings.alarm_interval_seconds):
        safe_check(warehouse_url, settings, probe)
