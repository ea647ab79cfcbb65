"""The enriched record the ingest API writes to the lake, one JSON object a line."""

from __future__ import annotations

import functools
import ipaddress
import os
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import msgspec

from clickstream import utc
from clickstream.events.schema import Event

LoginState = Literal["logged_in", "guest"]


class Receipt(msgspec.Struct, frozen=True, kw_only=True):
    """What the server knows about one request, independent of HTTP.

    A frozen msgspec struct rather than a frozen dataclass: one is built per request, and
    this is ten times cheaper to construct.
    """

    received_at: datetime
    request_id: str
    node_id: str
    client_ip: str | None = None
    user_agent: str | None = None
    user_id: str | None = None
    identity_source: str | None = None
    # Where the full client IP is (`events/geo.py`), looked up before the IP is truncated.
    country: str | None = None
    region: str | None = None


class LakeRecord(Event, kw_only=True, forbid_unknown_fields=True):
    """One line of the lake: the client's `Event` and what the server adds (docs/contracts.md).

    The definition the ETL's input contract is generated from (`events/columns.py`); `enrich`
    and `encode_records` write exactly these fields. The server always sets `event_id` and
    `event_timestamp` (the client's own time, when it sent one, is kept as `client_timestamp`).
    """

    client_timestamp: datetime | None
    received_at: datetime
    user_id: str | None
    user_login_state: LoginState
    identity_source: str | None
    client_ip: str | None
    user_agent: str | None
    request_id: str
    node_id: str
    # Absent from lines written before the ingest looked countries up.
    country: str | None = None
    region: str | None = None


@dataclass(frozen=True)
class SkewWindow:
    """How far a client clock may differ from ours and still be the event's time."""

    past: timedelta
    future: timedelta


@functools.lru_cache(maxsize=65536)
def truncate_ip(address: str | None) -> str | None:
    """Keep the network only: /24 for IPv4, /48 for IPv6; None for anything unparseable."""
    if not address:
        return None
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False).network_address)


def event_time(client: datetime | None, received_at: datetime, window: SkewWindow) -> datetime:
    """The client's time when it lies within the skew window of receipt, else the receipt time."""
    if client is None:
        return received_at
    client = utc.as_utc(client)
    if received_at - window.past <= client <= received_at + window.future:
        return client
    return received_at


_VARIANT = "89ab" * 4  # RFC 9562 variant: the top two bits of this nibble are 10
_VARIANT_OF = {f"{n:x}": _VARIANT[n] for n in range(16)}


def _uuid7_text(prefix: bytes, random: bytes) -> str:
    """UUIDv7 text from 6 bytes of Unix milliseconds and 10 random bytes."""
    h = (prefix + random).hex()
    return f"{h[:8]}-{h[8:12]}-7{h[13:16]}-{_VARIANT[int(h[16], 16)]}{h[17:20]}-{h[20:]}"


_COUNTER_SPAN = 4096  # the last 12 bits of a batch's ids count up
_COUNTER_TEXT = [f"{n:03x}" for n in range(_COUNTER_SPAN)]


_millis: tuple[int, str] = (-1, "")


def _id_base() -> tuple[str, int]:
    """The first 33 characters of a new UUIDv7 and a random 12-bit number to end it with."""
    global _millis
    millis = time.time_ns() // 1_000_000
    cached, head = _millis
    if millis != cached:
        stamp = "%012x" % millis  # noqa: UP031 - cheaper than format()
        head = f"{stamp[:8]}-{stamp[8:]}-7"
        _millis = (millis, head)
    h = os.urandom(10).hex()
    return f"{head}{h[1:4]}-{_VARIANT_OF[h[4]]}{h[5:8]}-{h[8:17]}", int(h[17:], 16)


def new_event_ids(count: int) -> list[str]:
    """`count` UUIDv7s as text: 48 bits of Unix milliseconds, then random bits (RFC 9562).

    One clock read and one `os.urandom` for up to 4,096 ids: they share 62 random bits and
    end in a 12-bit counter that starts at a random value (RFC 9562 §6.2, a fixed-length
    counter), so they are distinct and the text is formatted once, not once per id.
    """
    if count > _COUNTER_SPAN:
        return new_event_ids(_COUNTER_SPAN) + new_event_ids(count - _COUNTER_SPAN)
    base, number = _id_base()
    start = number % (_COUNTER_SPAN + 1 - count)
    return [base + counter for counter in _COUNTER_TEXT[start : start + count]]


def new_event_id() -> str:
    """A UUIDv7 as text: 48 bits of Unix milliseconds, then random bits (RFC 9562)."""
    return _uuid7_text((time.time_ns() // 1_000_000).to_bytes(6, "big"), os.urandom(10))


def _iso(value: datetime) -> str:
    """`utc.isoformat`, without strftime on the hot path (same text)."""
    return utc.rfc3339(value)


def server_fields(receipt: Receipt) -> dict[str, Any]:
    """What the server adds to every event of one request, computed once for the batch."""
    return {
        "received_at": _iso(receipt.received_at),
        "user_id": receipt.user_id,
        "user_login_state": "logged_in" if receipt.user_id else "guest",
        "identity_source": receipt.identity_source,
        "client_ip": truncate_ip(receipt.client_ip),
        "user_agent": receipt.user_agent,
        "request_id": receipt.request_id,
        "node_id": receipt.node_id,
        "country": receipt.country,
        "region": receipt.region,
    }


def enrich(
    event: Event,
    receipt: Receipt,
    window: SkewWindow,
    common: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The lake record for `event`: the client's fields plus everything the server adds.

    `common` is `server_fields(receipt)`, passed in when enriching a whole batch.
    """
    record: dict[str, Any] = msgspec.to_builtins(event)
    fields = common if common is not None else server_fields(receipt)
    if event.event_timestamp is not None:
        client_ts = utc.as_utc(event.event_timestamp)
        client_text = utc.isoformat(client_ts)
        when = event_time(client_ts, receipt.received_at, window)
        record["event_timestamp"] = client_text if when == client_ts else fields["received_at"]
        record["client_timestamp"] = client_text
    else:
        record["event_timestamp"] = fields["received_at"]
        record["client_timestamp"] = None
    record["event_id"] = str(event.event_id) if event.event_id else new_event_id()
    record.update(fields)
    return record


_encoder = msgspec.json.Encoder()
_MAX_SERVER_PARTS = 4096
_server_parts: dict[tuple[str | None, ...], tuple[bytes, bytes]] = {}


def _server_part(receipt: Receipt) -> tuple[bytes, bytes]:
    """The JSON of the server's fields between `received_at` and `request_id`, and after it.

    They depend only on who sent the request (token, network, user agent) and this node, so
    they are encoded once per sender, not once per request.
    """
    key = (
        receipt.user_id,
        receipt.identity_source,
        receipt.client_ip,
        receipt.user_agent,
        receipt.node_id,
        receipt.country,
        receipt.region,
    )
    part = _server_parts.get(key)
    if part is None:
        fields = server_fields(receipt)
        middle = {k: fields[k] for k in _MIDDLE_FIELDS}
        last = {k: fields[k] for k in ("node_id", *_LAST_FIELDS)}
        part = (_encoder.encode(middle)[1:-1], b"," + _encoder.encode(last)[1:-1])
        if len(_server_parts) >= _MAX_SERVER_PARTS:
            _server_parts.clear()
        _server_parts[key] = part
    return part


_MIDDLE_FIELDS = ("user_id", "user_login_state", "identity_source", "client_ip", "user_agent")
# After `node_id`, the last of the shared fields.
_LAST_FIELDS = ("country", "region")


def encode_records(
    events: list[Event], receipt: Receipt, window: SkewWindow
) -> tuple[list[str], bytes]:
    """The event ids and NDJSON lines of `enrich` for a whole batch, without dicts in between.

    Each line is the client's event as JSON with the server's fields spliced in; the fields
    shared by the batch are encoded once (those that depend only on the sender, once per
    sender). Event ids (UUIDs) and timestamps (RFC 3339) are plain ASCII, so they are spliced
    in as text without a JSON encoder.
    """
    received_text = utc.rfc3339(receipt.received_at)
    middle, node = _server_part(receipt)
    shared = b'"received_at":"%s",%s,"request_id":%s%s}\n' % (
        received_text.encode(),
        middle,
        _encoder.encode(receipt.request_id),
        node,
    )
    received_json = b'"event_timestamp":"%s","client_timestamp":null,' % received_text.encode()
    if len(events) <= _COUNTER_SPAN and all(
        event.event_id is None and event.event_timestamp is None for event in events
    ):
        return _encode_plain(events, received_json + shared)
    missing = 0
    for event in events:
        if event.event_id is None:
            missing += 1
    fresh = iter(new_event_ids(missing) if missing else ())
    ids: list[str] = []
    lines: list[bytes] = []
    for event in events:
        event_id = next(fresh) if event.event_id is None else str(event.event_id)
        ids.append(event_id)
        if event.event_timestamp is not None:
            client_ts = utc.as_utc(event.event_timestamp)
            client_text = utc.rfc3339(client_ts)
            when = event_time(client_ts, receipt.received_at, window)
            event_text = client_text if when == client_ts else received_text
            timestamps = b'"event_timestamp":"%s","client_timestamp":"%s",' % (
                event_text.encode(),
                client_text.encode(),
            )
        else:
            timestamps = received_json
        own = _encoder.encode(msgspec.structs.replace(event, event_id=None, event_timestamp=None))
        lines.append(b'%s,"event_id":"%s",%s%s' % (own[:-1], event_id.encode(), timestamps, shared))
    return ids, b"".join(lines)


def _encode_plain(events: list[Event], rest: bytes) -> tuple[list[str], bytes]:
    """`encode_records` for the common batch: no event carries an id or a timestamp.

    The events are encoded in one call as NDJSON (a JSON string never holds a raw newline, so
    each `}\n` ends an event) and the server's fields spliced in after each; the ids differ
    only in their last three characters.
    """
    base, number = _id_base()
    if len(events) == 1:
        event_id = base + _COUNTER_TEXT[number]
        own = _encoder.encode(events[0])
        return [event_id], b'%s,"event_id":"%s",%s' % (own[:-1], event_id.encode(), rest)
    start = number % (_COUNTER_SPAN + 1 - len(events))
    counters = _COUNTER_TEXT[start : start + len(events)]
    head = b',"event_id":"' + base.encode()
    tail = b'",' + rest
    objects = _encoder.encode_lines(events).split(b"}\n")
    objects.pop()  # the empty text after the last event
    parts: list[bytes] = []
    for own, counter in zip(objects, counters, strict=True):
        parts += (own, head, counter.encode(), tail)
    return [base + counter for counter in counters], b"".join(parts)
