"""Kept for the ETL's imports until the merge: the keys live in `clickstream.lake.keys`."""

from clickstream.lake.keys import (
    EVENT_SUFFIX,
    EVENTS_PREFIX,
    QUARANTINE_PREFIX,
    UnsafeKeyPart,
    event_object_key,
    hour_of_key,
    hour_prefix,
    is_event_key,
)

__all__ = [
    "EVENTS_PREFIX",
    "EVENT_SUFFIX",
    "QUARANTINE_PREFIX",
    "UnsafeKeyPart",
    "event_object_key",
    "hour_of_key",
    "hour_prefix",
    "is_event_key",
]
