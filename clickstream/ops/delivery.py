"""Deliver queued notifications, retrying with a doubling back-off while a channel is down."""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import structlog

from clickstream.ops.channels import Channel

log = structlog.get_logger("clickstream.ops")

DUE_SQL = """
SELECT n.notification_id, n.kind, n.channel_key, n.attempts, i.alarm, i.summary, i.opened_at,
       i.resolved_at
FROM ops_notifications n JOIN ops_incidents i USING (incident_id)
WHERE n.status = 'pending' AND n.next_attempt_at <= now()
ORDER BY n.notification_id
FOR UPDATE OF n SKIP LOCKED
"""
DELIVERED_SQL = """
UPDATE ops_notifications SET status = 'delivered', attempts = attempts + 1,
       last_attempt_at = now(), delivered_at = now(), last_error = NULL
WHERE notification_id = %s
"""
RETRY_SQL = """
UPDATE ops_notifications SET attempts = attempts + 1, last_attempt_at = now(),
       next_attempt_at = now() + make_interval(secs => %s), last_error = %s
WHERE notification_id = %s
"""
MAX_BACKOFF_SECONDS = 3600.0


@dataclass(frozen=True)
class DeliveryReport:
    """How many due notifications were delivered and how many wait for a retry."""

    delivered: int
    retrying: int


def deliver_due(
    conn: psycopg.Connection, channels: list[Channel], retry_seconds: float
) -> DeliveryReport:
    """Try every due notification once; failures are rescheduled, never dropped."""
    by_key = {channel.key: channel for channel in channels}
    delivered = retrying = 0
    with conn.transaction():
        for row in conn.execute(DUE_SQL).fetchall():
            notification_id, kind, key, attempts, alarm, summary, opened_at, resolved_at = row
            channel = by_key.get(key)
            if channel is None:
                continue  # the channel left the configuration; keep the row for the record
            if kind == "opened":
                title = f"[clickstream] ALARM {alarm}"
                body = f"{summary}\nopened at {opened_at:%Y-%m-%d %H:%M:%S} UTC"
            else:
                title = f"[clickstream] RESOLVED {alarm}"
                body = f"{alarm} is back to normal at {resolved_at:%Y-%m-%d %H:%M:%S} UTC"
            if channel.send(title, body):
                conn.execute(DELIVERED_SQL, (notification_id,))
                delivered += 1
                log.info("notification_delivered", alarm=alarm, kind=kind, channel=channel.label)
            else:
                wait = min(retry_seconds * (2**attempts), MAX_BACKOFF_SECONDS)
                conn.execute(RETRY_SQL, (wait, "channel refused or unreachable", notification_id))
                retrying += 1
                log.warning(
                    "notification_failed",
                    alarm=alarm,
                    kind=kind,
                    channel=channel.label,
                    retry_in_seconds=wait,
                )
    return DeliveryReport(delivered=delivered, retrying=retrying)
