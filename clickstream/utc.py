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


_second: tuple[tuple[int, ...], str] = ((), "")


def rfc3339(value: datetime) -> str:
    """`isoformat(value)` for a UTC-aware `value`, cheaply: the text to the second is cached.

    The ingest hot path stamps every request; `strftime` or `isoformat` cost several times
    more than rebuilding only the microseconds.
    """
    global _second
    if value.tzinfo is not UTC:
        value = as_utc(value)
    key = (value.second, value.minute, value.hour, value.day, value.month, value.year)
    cached_key, prefix = _second
    if key != cached_key:
        prefix = "%04d-%02d-%02dT%02d:%02d:%02d." % key[::-1]  # noqa: UP031
        _second = (key, prefix)
    return "%s%06dZ" % (prefix, value.microsecond)  # noqa: UP031


def compact_stamp(value: datetime) -> str:
    """A sortable, path-safe stamp such as `20261125T150130123456Z`."""
    return as_utc(value).strftime("%Y%m%dT%H%M%S%fZ")
