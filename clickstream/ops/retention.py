"""Retention for raw lake objects: expire event files older than N days, but only loaded ones.

An object the manifest does not hold is never deleted, whatever its age: nothing acknowledged
disappears before the warehouse has it. The hour in the key decides the age, so a late file
for an old hour expires on the same day as its neighbours.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
import structlog

from clickstream import utc
from clickstream.lake.keys import EVENTS_PREFIX, is_event_key
from clickstream.lake.store import LakeStore

log = structlog.get_logger("clickstream.ops")
_HOUR = re.compile(r"^events/(\d{4})/(\d{2})/(\d{2})/(\d{2})/")
LOADED_SQL = "SELECT object_key FROM lake_manifest WHERE object_key = ANY(%s)"


@dataclass(frozen=True)
class RetentionReport:
    """Objects deleted, and old objects kept because the ETL has not loaded them yet."""

    deleted: int
    kept_unloaded: int


def object_hour(key: str) -> datetime | None:
    """The UTC hour an event object belongs to, from its key."""
    match = _HOUR.match(key)
    if not match:
        return None
    year, month, day, hour = (int(part) for part in match.groups())
    return datetime(year, month, day, hour, tzinfo=UTC)


def expire_lake(
    lake: LakeStore, warehouse_url: str, keep_days: int, now: datetime | None = None
) -> RetentionReport:
    """Delete loaded event objects whose hour ended more than `keep_days` days ago."""
    if keep_days <= 0:
        return RetentionReport(deleted=0, kept_unloaded=0)
    cutoff = (now or utc.now()) - timedelta(days=keep_days)
    old = [
        obj.key
        for obj in lake.list(EVENTS_PREFIX)
        if is_event_key(obj.key)
        and (hour := object_hour(obj.key))
        and hour + timedelta(hours=1) <= cutoff
    ]
    with psycopg.connect(warehouse_url) as conn:
        loaded = {row[0] for row in conn.execute(LOADED_SQL, (old,))}
    for key in old:
        if key in loaded:
            lake.delete(key)
    kept = len(old) - len(loaded)
    log.info("lake_expired", deleted=len(loaded), kept_unloaded=kept, keep_days=keep_days)
    return RetentionReport(deleted=len(loaded), kept_unloaded=kept)
