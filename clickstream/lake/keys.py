"""Object keys in the lake, built and parsed here only (docs/lake.md).

An event object is `events/YYYY/MM/DD/HH/<node>-<first-received>-<seq>.ndjson.gz`, filed by
the UTC hour its first event was received; `<node>-<first-received>-<seq>` is its *stem*, which
the ingest's spool files carry too, so a spool file's name says where it goes. Quarantine
samples use the same shape under `quarantine/`. Every part of a key comes from an allow-list.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from clickstream import utc

EVENTS_PREFIX = "events/"
QUARANTINE_PREFIX = "quarantine/"
EVENT_SUFFIX = ".ndjson.gz"
_SAFE_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_STEM = re.compile(r"^(?P<node>[A-Za-z0-9][A-Za-z0-9_.-]*)-(?P<stamp>\d{8}T\d{12}Z)-(?P<seq>\d+)")
_EVENT_KEY = re.compile(r"^events/\d{4}/\d{2}/\d{2}/\d{2}/[A-Za-z0-9][A-Za-z0-9_.-]*\.ndjson\.gz$")
_HOUR = re.compile(r"^[a-z]+/(\d{4})/(\d{2})/(\d{2})/(\d{2})/")
_STAMP_FORMAT = "%Y%m%dT%H%M%S%fZ"


class UnsafeKeyPart(ValueError):
    """A value meant for a lake key holds characters outside the allow-list."""


def hour_prefix(root: str, when: datetime) -> str:
    """`<root>YYYY/MM/DD/HH/` for the UTC hour of `when`."""
    return f"{root}{utc.as_utc(when):%Y/%m/%d/%H}/"


def object_stem(node: str, received_at: datetime, sequence: int) -> str:
    """`<node>-<first-received>-<seq>`: the name shared by a spool file and its lake object."""
    if not _SAFE_PART.match(node):
        raise UnsafeKeyPart(f"node id {node!r} may only hold letters, digits and `_.-`")
    return f"{node}-{utc.compact_stamp(received_at)}-{sequence:06d}"


def received_at_of(name: str) -> datetime | None:
    """The first-received time in a stem or file name, or None when it is not one we build."""
    match = _STEM.match(name)
    if match is None:
        return None
    try:
        return datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def event_key_of_stem(stem: str) -> str | None:
    """The event object key for `stem` (a spool file's name without suffix), if it parses."""
    received_at = received_at_of(stem)
    if received_at is None or _STEM.fullmatch(stem) is None:
        return None
    return hour_prefix(EVENTS_PREFIX, received_at) + stem + EVENT_SUFFIX


def event_object_key(received_at: datetime, node: str, sequence: int) -> str:
    """`events/YYYY/MM/DD/HH/<node>-<first-received>-<seq>.ndjson.gz` by received UTC hour."""
    stem = object_stem(node, received_at, sequence)
    return hour_prefix(EVENTS_PREFIX, received_at) + stem + EVENT_SUFFIX


def quarantine_object_key(written_at: datetime, node: str, sequence: int) -> str:
    """`quarantine/YYYY/MM/DD/HH/<node>-<written>-<seq>.ndjson.gz` for a rejection sample."""
    stem = object_stem(node, written_at, sequence)
    return hour_prefix(QUARANTINE_PREFIX, written_at) + stem + EVENT_SUFFIX


def is_event_key(key: str) -> bool:
    """Whether `key` names a raw event object (not a temporary or foreign file)."""
    return bool(_EVENT_KEY.match(key))


def hour_of_key(key: str) -> datetime:
    """The UTC hour a lake key is filed under (`events/YYYY/MM/DD/HH/...`); `ValueError` else."""
    match = _HOUR.match(key)
    if match is None:
        raise ValueError(f"{key!r} is not a lake object key filed by hour")
    year, month, day, hour = (int(part) for part in match.groups())
    return datetime(year, month, day, hour, tzinfo=UTC)
