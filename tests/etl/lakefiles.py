"""Helpers for ETL tests: enriched records, lake files, and a comparable warehouse snapshot."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from clickstream.lake.store import LakeStore

HOUR = datetime(2026, 11, 24, 10, tzinfo=UTC)
CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36"
)


def record(name: str = "page_view", at: datetime = HOUR, **fields: Any) -> dict[str, Any]:
    """An enriched lake record as `events/record.py::enrich` writes it."""
    base: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_name": name,
        "event_timestamp": at.isoformat(),
        "client_timestamp": at.isoformat(),
        "received_at": (at + timedelta(seconds=1)).isoformat(),
        "client_id": "c-1",
        "session_id": "s-1",
        "is_first_visit": False,
        "user_id": None,
        "user_login_state": "guest",
        "identity_source": None,
        "page_url": "https://shop.example/",
        "referrer": None,
        "product": None,
        "order": None,
        "properties": None,
        "client_ip": "10.0.0.0",
        "user_agent": CHROME,
        "request_id": "r-1",
        "node_id": "n1",
    }
    base.update(fields)
    return base


def put(lake: LakeStore, hour: datetime, lines: list[Any], seq: int = 1, node: str = "n1") -> str:
    """Write one gzip NDJSON object under `hour`; dict lines are JSON-encoded, str kept as is."""
    text = "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines)
    key = f"events/{hour:%Y/%m/%d/%H}/{node}-{hour:%Y%m%dT%H%M%S}000000Z-{seq:06d}.ndjson.gz"
    lake.put(key, gzip.compress((text + "\n").encode()))
    return key


SNAPSHOT_QUERIES = {
    "events": "SELECT to_jsonb(e) - 'etl_run_id' FROM clickstream_events e ORDER BY event_id",
    "event_ids": "SELECT event_id, event_timestamp, source_file, payload_hash FROM event_ids "
    "ORDER BY event_id",
    "manifest": "SELECT object_key, received, loaded, duplicates, conflicts, rejected, late "
    "FROM lake_manifest ORDER BY object_key",
    "quarantine": "SELECT source_file, line_number, reason, kind, event_id, raw, "
    "kept_version - 'etl_run_id' FROM etl_quarantine ORDER BY source_file, line_number",
    "partitions": "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
    "WHERE i.inhparent = 'clickstream_events'::regclass ORDER BY 1",
    "sessions": "SELECT * FROM sessions ORDER BY day, site_id, session_id",
    "visitor_daily": "SELECT * FROM visitor_daily ORDER BY 1, 2, 3, 4, site_id",
    "daily_kpis": "SELECT * FROM daily_kpis ORDER BY 1, 2, 3, site_id",
    "funnel_daily": "SELECT * FROM funnel_daily ORDER BY 1, 2, 3, site_id",
    "product_daily": "SELECT * FROM product_daily ORDER BY 1, 2, 3, 4, site_id",
    "page_daily": "SELECT * FROM page_daily ORDER BY 1, 2, 3, 4, site_id",
    "traffic_daily": "SELECT * FROM traffic_daily "
    "ORDER BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, site_id",
    "goal_daily": "SELECT * FROM goal_daily ORDER BY 1, 2, 3, 4, site_id",
    "event_daily": "SELECT * FROM event_daily ORDER BY 1, 2, 3, 4, site_id",
    "event_property_daily": "SELECT * FROM event_property_daily ORDER BY 1, 2, 3, 4, 5, 6, site_id",
    "session_steps": "SELECT * FROM session_steps ORDER BY 1, 2, 3, 4, 5",
    "visitor_activity_daily": "SELECT * FROM visitor_activity_daily ORDER BY 1, 2, 3",
    "journey_daily": "SELECT * FROM journey_daily ORDER BY 1, 2, 3, 4, 5, 6, 7, 8",
    "entry_exit_daily": "SELECT * FROM entry_exit_daily ORDER BY 1, 2, 3, 4, 5, 6",
    "visitor_first_seen": "SELECT * FROM visitor_first_seen ORDER BY 1, 2",
    "retention_daily": "SELECT * FROM retention_daily ORDER BY 1, 2, 3, 4, 5",
    "dirty": "SELECT day FROM etl_dirty_days ORDER BY 1",
    "event_items": "SELECT * FROM event_items ORDER BY event_id, line",
    "item_partitions": "SELECT c.relname FROM pg_inherits i JOIN pg_class c "
    "ON c.oid = i.inhrelid WHERE i.inhparent = 'event_items'::regclass ORDER BY 1",
}


def snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Everything the ETL writes except run ids and load times, for equality checks."""
    with psycopg.connect(url) as conn:
        return {
            name: conn.execute(query).fetchall()  # type: ignore[arg-type]
            for name, query in SNAPSHOT_QUERIES.items()
        }
