"""A spool on a real, tiny filesystem that fills up: a 503 stores nothing, `/readyz` says so.

The spool lives on a 2 MiB tmpfs mounted by the test (root only; skipped otherwise); the lake
is on the ordinary disk, so everything the spool ships can be checked afterwards.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import lake_records, require_root
from tests.ingest.conftest import Ingest, running_ingest

EVENTS_PER_REQUEST = 20
PADDING = "x" * 900  # about 1 KB an event: a 2 MiB disk fills within ~100 requests


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs, unmounted at the end."""
    require_root("mounting a tmpfs")
    mount_point = tmp_path / "small-disk"
    mount_point.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount_point)],
        check=True,
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def _batch() -> list[dict[str, object]]:
    return [
        {"event_name": "page_view", "event_id": str(uuid.uuid4()), "properties": {"pad": PADDING}}
        for _ in range(EVENTS_PER_REQUEST)
    ]


async def _flood(ingest: Ingest, requests: int) -> tuple[set[str], set[str]]:
    """Post `requests` batches, 8 at a time; the event ids answered 202 and those answered 503."""
    acknowledged: set[str] = set()
    refused: set[str] = set()
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=30) as client:

        async def post_one() -> None:
            batch = _batch()
            async with gate:
                response = await client.post(ingest.url, json=batch)
            ids = {str(event["event_id"]) for event in batch}
            if response.status_code == 202:
                assert set(response.json()["event_ids"]) == ids
                acknowledged.update(ids)
            else:
                assert response.status_code == 503, response.text
                refused.update(ids)

        await asyncio.gather(*(post_one() for _ in range(requests)))
    return acknowledged, refused


def test_requests_refused_on_a_full_spool_disk_store_nothing(
    tmp_path: Path, small_disk: Path
) -> None:
    with running_ingest(tmp_path, ingest_spool_dir=small_disk / "spool") as ingest:
        acknowledged, refused = asyncio.run(_flood(ingest, 160))

    assert acknowledged, "some requests fit before the disk filled"
    assert refused, "the disk should have filled"
    shipped = [str(record["event_id"]) for record in lake_records(tmp_path / "lake")]
    assert not refused & set(shipped), "events of a 503'd request reached the lake"
    assert sorted(shipped) == sorted(acknowledged)


def test_readyz_is_503_while_the_spool_disk_is_full(tmp_path: Path, small_disk: Path) -> None:
    with running_ingest(tmp_path, ingest_spool_dir=small_disk / "spool") as ingest:
        assert httpx.get(f"{ingest.server.url}/readyz").status_code == 200
        _, refused = asyncio.run(_flood(ingest, 160))
        assert refused

        response = httpx.get(f"{ingest.server.url}/readyz")

    assert response.status_code == 503
    assert response.json()["checks"]["spool_writable"] is False
