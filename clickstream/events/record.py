"""The enriched record the ingest API writes to the lake, one JSON object a line."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
from uuid6 import uuid7

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


def enrich(event: Event, receipt: Receipt, window: SkewWindow) -> dict[str, Any]:
    """The lake record for `event`: the client's fields plus everything the server adds."""
    record: dict[str, Any] = msgspec.to_builtins(event)
    client_ts = utc.as_utc(event.event_timestamp) if event.event_timestamp else None
    record["event_id"] = str(event.event_id or uuid7())
    record["event_timestamp"] = utc.isoformat(event_time(client_ts, receipt.received_at, window))
    record["client_timestamp"] = utc.isoformat(client_ts) if client_ts else None
    record["received_at"] = utc.isoformat(receipt.received_at)
    record["user_id"] = receipt.user_id
    record["user_login_state"] = "logged_in" if receipt.user_id else "guest"
    record["identity_source"] = receipt.identity_source
    record["client_ip"] = truncate_ip(receipt.client_ip)
    record["user_agent"] = receipt.user_agent
    record["request_id"] = receipt.request_id
    record["node_id"] = receipt.node_id
    return record
