"""Enrichment: the fast batch encoder writes exactly the records `enrich` describes."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import msgspec

from clickstream.events.record import (
    Receipt,
    SkewWindow,
    encode_records,
    enrich,
    new_event_id,
    truncate_ip,
)
from clickstream.events.schema import Event

WINDOW = SkewWindow(past=timedelta(days=1), future=timedelta(minutes=5))
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)


def test_batch_encoding_matches_enrich_field_for_field() -> None:
    receipt = Receipt(
        received_at=NOW,
        request_id="r1",
        node_id="n1",
        client_ip="2001:db8:1234:5678::1",
        user_agent="ua",
        user_id="u1",
        identity_source="https://shop.test",
    )
    given = uuid.uuid4()
    events = [
        msgspec.convert(
            {
                "event_name": "purchase",
                "event_id": str(given),
                "event_timestamp": "2026-11-25T14:59:00+01:00",
                "order": {"id": "o1", "total": 5.5},
                "properties": {"a": [1, {"b": None}]},
            },
            Event,
        ),
        Event(event_name="page_view", event_timestamp=NOW - timedelta(days=3)),
        Event(event_name="click"),
    ]

    ids, lines = encode_records(events, receipt, WINDOW)
    records = [json.loads(line) for line in lines.splitlines()]

    assert ids[0] == str(given) and ids == [r["event_id"] for r in records]
    for event, record in zip(events, records, strict=True):
        expected = enrich(event, receipt, WINDOW)
        expected["event_id"] = record["event_id"]
        assert record == expected
    assert records[0]["event_timestamp"] == "2026-11-25T13:59:00.000000Z"  # within the window
    assert records[1]["event_timestamp"] == records[1]["received_at"]  # too old: receipt time
    assert records[1]["client_timestamp"] == "2026-11-22T15:00:00.000000Z"
    assert records[0]["client_ip"] == "2001:db8:1234::"
    assert records[0]["user_login_state"] == "logged_in"


def test_server_event_ids_are_uuid7() -> None:
    parsed = uuid.UUID(new_event_id())
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_ip_is_truncated_to_24_and_48_bits() -> None:
    assert truncate_ip("203.0.113.77") == "203.0.113.0"
    assert truncate_ip("::ffff:203.0.113.77") == "203.0.113.0"
    assert truncate_ip("2001:db8:abcd:12::9") == "2001:db8:abcd::"
    assert truncate_ip("not an ip") is None
