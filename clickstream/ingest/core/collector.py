"""The HTTP-free ingest core: body bytes and a receipt in, enriched NDJSON lines out.

The HTTP endpoint appends the lines to the durable spool; an AWS Lambda handler calls `accept`
(or `Collector.collect`, which also writes them straight to the lake as one object). Neither
validation nor enrichment knows about HTTP or the spool.
"""

from __future__ import annotations

import gzip
import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from clickstream.events.record import Receipt, SkewWindow, encode_records
from clickstream.events.schema import Event
from clickstream.ingest.core.contract import decode_events
from clickstream.ingest.core.errors import Rejected
from clickstream.ingest.core.limits import Limits, gunzip, too_large
from clickstream.ingest.core.sites import PLAIN_ADMISSION, Admission, SiteGate
from clickstream.ingest.core.storable import check_no_nul, may_hold_nul, out_of_range_times
from clickstream.lake.keys import event_object_key
from clickstream.lake.store import LakeStore

if TYPE_CHECKING:  # the settings (pydantic) stay off the import path of a Lambda cold start
    from clickstream.ingest.configuration import IngestSettings

__all__ = ["Accepted", "Batch", "Collector", "Context", "Refused", "Stored", "accept"]


def skew_window(settings: IngestSettings | None = None) -> SkewWindow:
    """The client-clock window `settings` configure (their defaults without settings)."""
    if settings is None:
        from clickstream.ingest.configuration import default_of

        past, future = (default_of(f"ingest_max_{end}_skew_seconds") for end in ("past", "future"))
    else:
        past = settings.ingest_max_past_skew_seconds
        future = settings.ingest_max_future_skew_seconds
    return SkewWindow(past=timedelta(seconds=past), future=timedelta(seconds=future))


class Batch(NamedTuple):
    """An accepted, enriched batch: its event ids, its records as NDJSON lines and the decoded
    events (which the live counters read).

    A named tuple rather than a frozen dataclass: one is built per request, for less.
    """

    event_ids: list[str]
    lines: bytes
    events: Sequence[Event] = ()


Accepted = Batch  # what `accept` returns for a body it takes


@dataclass(frozen=True)
class Refused:
    """Why `accept` refused a body: an HTTP-style status, a reason code and the details."""

    status: int
    reason: str
    message: str
    errors: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def of(cls, error: Rejected) -> Refused:
        """The refusal `error` describes."""
        return cls(error.status, error.reason, error.message, list(error.errors))


@dataclass(frozen=True)
class Context:
    """What `accept` needs besides the body: who sent it, how it is encoded, under which rules."""

    receipt: Receipt
    content_encoding: str = ""
    limits: Limits = field(default_factory=Limits)
    skew: SkewWindow = field(default_factory=skew_window)
    gate: SiteGate | None = None  # None: no site checks (every site id passes)
    admission: Admission = field(default_factory=Admission)


def prepare(
    body: bytes,
    receipt: Receipt,
    limits: Limits,
    skew: SkewWindow,
    encoding: str = "",
    gate: SiteGate | None = None,
    admission: Admission | None = None,
) -> Batch:
    """Decode, check and enrich `body`; raises a `Rejected` subclass, storing nothing."""
    if len(body) > limits.max_body_bytes:
        raise too_large(limits.max_body_bytes)
    if encoding == "gzip":
        body = gunzip(body, limits.max_body_bytes)
    events = decode_events(body, limits)
    if gate is not None:
        events = gate.admit(events, receipt, admission or PLAIN_ADMISSION)
    try:
        event_ids, lines = encode_records(events, receipt, skew)
    except OverflowError:
        raise out_of_range_times(events) from None
    if may_hold_nul(lines):
        check_no_nul(events, receipt.user_agent)
    return Batch(event_ids=event_ids, lines=lines, events=events)


def accept(body: bytes, context: Context) -> Accepted | Refused:
    """The lake lines for `body`, or why it is refused; never raises for bad input."""
    try:
        return prepare(
            body,
            context.receipt,
            context.limits,
            context.skew,
            context.content_encoding,
            context.gate,
            context.admission,
        )
    except Rejected as error:
        return Refused.of(error)


@dataclass(frozen=True)
class Stored:
    """What a direct lake write stored: the event ids and the lake object."""

    event_ids: list[str]
    object_key: str


class Collector:
    """Validates and enriches request bodies under the configured limits."""

    def __init__(
        self,
        node_id: str,
        skew: SkewWindow | None = None,
        limits: Limits | None = None,
        lake: LakeStore | None = None,
        gate: SiteGate | None = None,
    ) -> None:
        self.node_id = node_id
        self.gate = gate
        self.skew = skew or skew_window()
        self.limits = limits or Limits()
        self.lake = lake
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def prepare(
        self,
        body: bytes,
        receipt: Receipt,
        content_encoding: str = "",
        admission: Admission | None = None,
    ) -> Batch:
        """Decode, check and enrich `body`; raises a `Rejected` subclass, storing nothing."""
        return prepare(
            body, receipt, self.limits, self.skew, content_encoding, self.gate, admission
        )

    def collect(
        self,
        body: bytes,
        receipt: Receipt,
        content_encoding: str = "",
        admission: Admission | None = None,
    ) -> Stored:
        """Prepare `body` and write it to the lake as one object (the spool-less path)."""
        if self.lake is None:
            raise RuntimeError("this collector has no lake to write to")
        batch = self.prepare(body, receipt, content_encoding, admission)
        with self._lock:
            sequence = next(self._sequence)
        key = event_object_key(receipt.received_at, self.node_id, sequence)
        self.lake.put(key, gzip.compress(batch.lines, compresslevel=6, mtime=0))
        return Stored(event_ids=batch.event_ids, object_key=key)
