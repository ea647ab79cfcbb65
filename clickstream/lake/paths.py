"""Object keys in the lake (DESIGN.md §4). Every part of a key comes from an allow-list."""

from __future__ import annotations

import re
from datetime import datetime

from clickstream import utc

EVENTS_PREFIX = "events/"
QUARANTINE_PREFIX = "quarantine/"
EVENT_SUFFIX = ".ndjson.gz"
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_EVENT_KEY = re.compile(r"^events/\d{4}/\d{2}/\d{2}/\d{2}/[A-Za-z0-9][A-Za-z0-9_.-]*\.ndjson\.gz$")


class UnsafeKeyPart(ValueError):
    """A value meant for a lake key holds characters outside the allow-list."""


def hour_prefix(root: str, when: datetime) -> str:
    """`<root>YYYY/MM/DD/HH/` for the UTC hour of `when`."""
    return f"{root}{utc.as_utc(when):%Y/%m/%d/%H}/"


def event_object_key(received_at: datetime, node: str, sequence: int) -> str:
    """`events/YYYY/MM/DD/HH/<node>-<first-received>-<seq>.ndjson.gz` by received UTC hour."""
    if not _SAFE_PART.match(node):
        raise UnsafeKeyPart(f"node id {node!r} may only hold letters, digits and `_.-`")
    name = f"{node}-{utc.compact_stamp(received_at)}-{sequence:06d}{EVENT_SUFFIX}"
    return hour_prefix(EVENTS_PREFIX, received_at) + name


def is_event_key(key: str) -> bool:
    """Whether `key` names a raw event object (not a temporary or foreign file)."""
    return bool(_EVENT_KEY.match(key))
