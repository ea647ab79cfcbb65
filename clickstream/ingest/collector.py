"""The HTTP-free ingest core: body bytes and a receipt in, enriched NDJSON lines out.

The ASGI app appends the lines to the durable spool; an AWS Lambda adapter calls `collect`,
which writes them straight to the lake as one object. Neither validation nor enrichment knows
about HTTP.
"""

from __future__ import annotations

import gzip
import itertools
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, NamedTuple

from clickstream import jsonio
from clickstream.events.record import Receipt, SkewWindow, encode_records
from clickstream.ingest.contract import decode_events
from clickstream.ingest.errors import InvalidPayload, Rejected
from clickstream.ingest.limits import Limits, gunzip, too_large
from clickstream.lake.paths import event_object_key
from clickstream.lake.store import LakeStore

__all__ = ["Accepted", "Batch", "Collector", "InvalidPayload", "Rejected", "encode_ndjson_gz"]


class Batch(NamedTuple):
    """An accepted, enriched batch: its event ids and its records as NDJSON lines.

    A named tuple rather than a frozen dataclass: one is built per request, for less.
    """

    event_ids: list[str]
    lines: bytes


@dataclass(frozen=True)
class Accepted:
    """What a direct lake write stored: the event ids and the lake object."""

    event_ids: list[str]
    object_key: str


def encode_ndjson_gz(records: list[dict[str, Any]]) -> bytes:
    """Records as gzip-compressed newline-delimited JSON."""
    raw = b"".join(jsonio.dumps(record) + b"\n" for record in records)
    return gzip.compress(raw, compresslevel=6, mtime=0)


class Collector:
    """Validates and enriches request bodies under the configured limits."""

    def __init__(
        self,
        node_id: str,
        skew: SkewWindow | None = None,
        limits: Limits | None = None,
        lake: LakeStore | None = None,
    ) -> None:
        self.node_id = node_id
        self.skew = skew or SkewWindow(past=timedelta(days=7), future=timedelta(minutes=5))
        self.limits = limits or Limits()
        self.lake = lake
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def prepare(self, body: bytes, receipt: Receipt, content_encoding: str = "") -> Batch:
        """Decode, check and enrich `body`; raises a `Rejected` subclass, storing nothing."""
        if len(body) > self.limits.max_body_bytes:
            raise too_large(self.limits.max_body_bytes)
        if content_encoding == "gzip":
            body = gunzip(body, self.limits.max_body_bytes)
        events = decode_events(body, self.limits)
        event_ids, lines = encode_records(events, receipt, self.skew)
        return Batch(event_ids=event_ids, lines=lines)

    def collect(self, body: bytes, receipt: Receipt, content_encoding: str = "") -> Accepted:
        """Prepare `body` and write it to the lake as one object (the spool-less path)."""
        if self.lake is None:
            raise RuntimeError("this collector has no lake to write to")
        batch = self.prepare(body, receipt, content_encoding)
        with self._lock:
            sequence = next(self._sequence)
        key = event_object_key(receipt.received_at, self.node_id, sequence)
        self.lake.put(key, gzip.compress(batch.lines, compresslevel=6, mtime=0))
        return Accepted(event_ids=batch.event_ids, object_key=key)
