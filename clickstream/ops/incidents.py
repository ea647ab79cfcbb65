"""Incidents: an alarm that starts firing opens one; one that stops firing resolves it.

Each transition queues one notification per channel in the same transaction, so an incident
never exists without its notifications and a notification is never queued twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

from clickstream import jsonio
from clickstream.ops.alarms import Finding
from clickstream.ops.channels import Channel

OPEN_INCIDENT_SQL = "SELECT incident_id FROM ops_incidents WHERE alarm = %s AND resolved_at IS NULL"
OPEN_SQL = """
INSERT INTO ops_incidents (alarm, summary, detail) VALUES (%s, %s, %s) RETURNING incident_id
"""
RESOLVE_SQL = "UPDATE ops_incidents SET resolved_at = now() WHERE incident_id = %s"
QUEUE_SQL = """
INSERT INTO ops_notifications (incident_id, kind, channel_key, channel_label)
VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING
"""
OPEN_ALARMS_SQL = """
SELECT alarm, summary, opened_at FROM ops_incidents WHERE resolved_at IS NULL ORDER BY opened_at
"""


@dataclass(frozen=True)
class Transition:
    """An incident that opened or resolved during one evaluation."""

    alarm: str
    kind: str
    incident_id: int
    summary: str


def record(
    conn: psycopg.Connection, alarm: str, finding: Finding | None, channels: list[Channel]
) -> Transition | None:
    """Open or resolve `alarm`'s incident as `finding` says; queue notifications."""
    with conn.transaction():
        row = conn.execute(OPEN_INCIDENT_SQL + " FOR UPDATE", (alarm,)).fetchone()
        if finding is not None and row is None:
            opened = conn.execute(
                OPEN_SQL, (alarm, finding.summary, jsonio.dumps(finding.detail).decode())
            ).fetchone()
            assert opened is not None
            transition = Transition(alarm, "opened", int(opened[0]), finding.summary)
        elif finding is None and row is not None:
            conn.execute(RESOLVE_SQL, (row[0],))
            transition = Transition(alarm, "resolved", int(row[0]), f"{alarm} resolved")
        else:
            return None
        for channel in channels:
            conn.execute(
                QUEUE_SQL, (transition.incident_id, transition.kind, channel.key, channel.label)
            )
    return transition


def open_alarms(conn: psycopg.Connection) -> list[tuple[str, str]]:
    """(alarm, summary) of every open incident, oldest first."""
    return [(row[0], row[1]) for row in conn.execute(OPEN_ALARMS_SQL)]
