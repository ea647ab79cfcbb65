"""UTC-aware time helpers: the only place the platform asks for the current time."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """The current time, UTC-aware."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive datetime is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def isoformat(value: datetime) -> str:
    """RFC 3339 text with microseconds and a `Z` suffix."""
    return as_utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compact_stamp(value: datetime) -> str:
    """A sortable, path-safe stamp such as `20261125T150130123456Z`."""
    return as_utc(value).strftime("%Y%m%dT%H%M%S%fZ")
