"""The HTTP-free ingest core: body bytes in, durable lake records out.

An AWS Lambda adapter or the ASGI app both call `Collector.collect`; neither validation nor
enrichment knows about HTTP.
"""

from __future__ import annotations

import gzip
import itertools
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec

from clickstream import jsonio
from clickstream.events.record import Receipt, SkewWindow, enrich
from clickstream.events.schema import Event
from clickstream.lake.paths import event_object_key
from clickstream.lake.store import LakeStore


class InvalidPayload(ValueError):
    """The body is not an event, a list of events or `{"events": [...]}`; says why."""


@dataclass(frozen=True)
class Accepted:
    """What a successful collect wrote: how many events, their ids and the lake object."""

    event_ids: list[str]
    object_key: str


def decode_events(body: bytes) -> list[Event]:
    """Parse one event object, an array of events or `{"events": [...]}`; all or nothing."""
    if not body.strip():
        raise InvalidPayload("the body is empty; send a JSON event object or an array of events")
    try:
        parsed = jsonio.loads(body)
    except jsonio.DecodeError as exc:
        raise InvalidPayload(f"the body is not valid JSON: {exc}") from None
    if isinstance(parsed, dict) and "events" in parsed and "event_name" not in parsed:
        parsed = parsed["events"]
        if not isinstance(parsed, list):
            raise InvalidPayload("`events` must be an array of event objects")
    items = parsed if isinstance(parsed, list) else [parsed]
    if not items:
        raise InvalidPayload("the batch holds no events")
    events = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidPayload(f"event {index}: expected a JSON object")
        try:
            events.append(msgspec.convert(item, Event))
        except msgspec.ValidationError as exc:
            raise InvalidPayload(f"event {index}: {exc}") from None
    return events


def encode_ndjson_gz(records: list[dict[str, Any]]) -> bytes:
    """Records as gzip-compressed newline-delimited JSON."""
    raw = b"".join(jsonio.dumps(record) + b"\n" for record in records)
    return gzip.compress(raw, compresslevel=6, mtime=0)


class Collector:
    """Turns request bodies into enriched lake objects, one object per accepted batch."""

    def __init__(self, lake: LakeStore, node_id: str, skew: SkewWindow | None = None) -> None:
        self.lake = lake
        self.node_id = node_id
        self.skew = skew or SkewWindow(past=timedelta(days=7), future=timedelta(minutes=5))
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def collect(self, body: bytes, receipt: Receipt) -> Accepted:
        """Validate, enrich and durably store every event in `body`, or raise `InvalidPayload`."""
        events = decode_events(body)
        records = [enrich(event, receipt, self.skew) for event in events]
        with self._lock:
            sequence = next(self._sequence)
        key = event_object_key(receipt.received_at, self.node_id, sequence)
        self.lake.put(key, encode_ndjson_gz(records))
        return Accepted(event_ids=[r["event_id"] for r in records], object_key=key)
