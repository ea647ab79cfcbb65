from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from clickstream.lake import open_lake
from clickstream.lake.keys import UnsafeKeyPart, event_object_key, is_event_key


def test_put_is_whole_and_listing_skips_temporary_files(tmp_path: Path) -> None:
    lake = open_lake(str(tmp_path))
    lake.put("events/2026/11/25/15/a.ndjson.gz", b"abc")
    (tmp_path / "events/2026/11/25/15/.b.ndjson.gz.123.tmp").write_bytes(b"partial")

    objects = list(lake.list("events/"))

    assert [(o.key, o.size) for o in objects] == [("events/2026/11/25/15/a.ndjson.gz", 3)]
    assert lake.get(objects[0].key) == b"abc"


def test_key_escaping_the_lake_is_refused(tmp_path: Path) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    with pytest.raises(ValueError, match="escapes"):
        lake.put("../outside", b"x")
    assert not (tmp_path / "outside").exists()


def test_event_key_follows_the_received_hour_layout() -> None:
    when = datetime(2026, 11, 25, 15, 1, 2, 345678, tzinfo=UTC)
    key = event_object_key(when, "node-1", 7)
    assert key == "events/2026/11/25/15/node-1-20261125T150102345678Z-000007.ndjson.gz"
    assert is_event_key(key)
    assert not is_event_key("events/2026/11/25/15/.tmp")


@pytest.mark.parametrize("node", ["../x", "a/b", "", "-x", "a b"])
def test_unsafe_node_id_is_refused(node: str) -> None:
    with pytest.raises(UnsafeKeyPart):
        event_object_key(datetime.now(UTC), node, 1)
