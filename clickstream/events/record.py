"""The enriched record the ingest API writes to the lake, one JSON object a line."""

from __future__ import annotations

import functools
import ipaddress
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from clickstream import utc
from clickstream.events.schema import Event

LoginState = str  # "logged_in" | "guest"


@dataclass(frozen=True)
class Receipt:
    """What the server knows about one request, independent of HTTP."""

    received_at: datetime
    request_id: str
    node_id: str
    client_ip: str | None = None
    user_agent: str | None = None
    user_id: str | None = None
    identity_source: str | None = None


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


def new_event_id() -> str:
    """A UUIDv7 as text: 48 bits of Unix milliseconds, then random bits (RFC 9562)."""
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    text = f"{value:032x}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _iso(value: datetime) -> str:
    """`utc.isoformat`, without strftime on the hot path (same text)."""
    if value.tzinfo is not UTC:
        value = utc.as_utc(value)
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


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


def encode_records(
    events: list[Event], receipt: Receipt, window: SkewWindow
) -> tuple[list[str], bytes]:
    """The event ids and NDJSON lines of `enrich` for a whole batch, without dicts in between.

    Each line is the client's event as JSON with the server's fields spliced in; the fields
    shared by the batch are encoded once.
    """
    common = server_fields(receipt)
    shared = _encoder.encode(common)[1:]  # `"received_at":...}` without the opening brace
    received_text = common["received_at"]
    ids: list[str] = []
    lines: list[bytes] = []
    for event in events:
        event_id = str(event.event_id) if event.event_id else new_event_id()
        ids.append(event_id)
        if event.event_timestamp is not None:
            client_ts = utc.as_utc(event.event_timestamp)
            client_text: str | None = _iso(client_ts)
            when = event_time(client_ts, receipt.received_at, window)
            event_text = client_text if when == client_ts else received_text
        else:
            client_text, event_text = None, received_text
        own = _encoder.encode(msgspec.structs.replace(event, event_id=None, event_timestamp=None))
        extra = _encoder.encode(
            {"event_id": event_id, "event_timestamp": event_text, "client_timestamp": client_text}
        )
        lines.append(own[:-1] + b"," + extra[1:-1] + b"," + shared + b"\n")
    return ids, b"".join(lines)
