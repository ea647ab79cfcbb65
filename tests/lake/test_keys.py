"""Lake keys have one owner: what `lake.keys` builds, it parses back to the same parts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clickstream.lake.keys import (
    UnsafeKeyPart,
    event_key_of_stem,
    event_object_key,
    hour_of_key,
    is_event_key,
    object_stem,
    quarantine_object_key,
    received_at_of,
)

WHEN = datetime(2026, 11, 24, 10, 59, 58, 123456, tzinfo=UTC)


def test_a_spool_file_name_becomes_the_key_a_direct_write_would_get() -> None:
    stem = object_stem("node-1-4242", WHEN, 7)

    assert stem == "node-1-4242-20261124T105958123456Z-000007"
    assert received_at_of(stem + ".ndjson.open") == WHEN
    key = event_key_of_stem(stem)
    assert key == event_object_key(WHEN, "node-1-4242", 7)
    assert key == "events/2026/11/24/10/node-1-4242-20261124T105958123456Z-000007.ndjson.gz"
    assert is_event_key(key)
    assert hour_of_key(key) == datetime(2026, 11, 24, 10, tzinfo=UTC)


def test_names_we_did_not_write_have_no_key() -> None:
    assert event_key_of_stem("notes") is None
    assert event_key_of_stem("n-20261124T105958123456Z-1/../x") is None
    assert received_at_of("n-20261399T105958123456Z-000001") is None  # month 13


def test_quarantine_keys_are_filed_by_hour_under_their_own_prefix() -> None:
    key = quarantine_object_key(WHEN, "n1", 3)

    assert key.startswith("quarantine/2026/11/24/10/n1-")
    assert not is_event_key(key)
    assert hour_of_key(key) == datetime(2026, 11, 24, 10, tzinfo=UTC)


def test_unsafe_node_and_foreign_keys_are_refused() -> None:
    with pytest.raises(UnsafeKeyPart):
        object_stem("../etc", WHEN, 1)
    with pytest.raises(ValueError, match="not a lake object key"):
        hour_of_key("events/2026/11/x.ndjson.gz")
