"""The spool: a 2xx means fsynced on local disk; closed files ship to the lake, leftovers too."""

from __future__ import annotations

import asyncio
import fcntl
import os
import re
import shutil
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from clickstream.ingest.durability.shipper import Shipper
from clickstream.ingest.durability.spool import Spool
from clickstream.lake import open_lake
from tests.conftest import lake_records
from tests.ingest.conftest import Ingest, spooled_records


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.02)


def test_acknowledged_events_are_in_the_spool_and_reach_the_lake_on_shutdown(
    tmp_path: Path,
) -> None:
    from tests.ingest.conftest import running_ingest

    with running_ingest(tmp_path) as ingest:
        response = ingest.post([{"event_name": "page_view"}, {"event_name": "click"}])
        assert response.status_code == 202
        ids = set(response.json()["event_ids"])
        assert {r["event_id"] for r in spooled_records(ingest.spool_dir)} == ids
        assert lake_records(ingest.lake_dir) == []

    assert {r["event_id"] for r in lake_records(tmp_path / "lake")} == ids
    assert list(ingest.spool_dir.glob("*.ndjson*")) == []


def test_concurrent_appends_share_fsyncs_and_all_land(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "spool", "n1")
    spool.start()
    received = datetime.now(UTC)

    async def many() -> None:
        await asyncio.gather(
            *(spool.append(b'{"event_id": "%d"}\n' % i, received) for i in range(200))
        )

    async def many_then_close() -> None:
        await many()
        spool.close()

    asyncio.run(many_then_close())

    assert spool.stats.batches == 200
    assert spool.stats.commits < 200
    assert len(spooled_records(tmp_path / "spool")) == 200


def test_files_close_by_size_and_by_age(tmp_path: Path) -> None:
    folder = tmp_path / "spool"
    spool = Spool(folder, "n1", file_bytes=1024, file_seconds=0.2)
    spool.start()
    received = datetime.now(UTC)

    async def write_then_wait(count: int) -> None:
        for i in range(count):
            await spool.append(b'{"n": %d, "pad": "%s"}\n' % (i, b"x" * 300), received)
        # 10 lines of ~320 bytes: two files fill to 1 KiB (4 lines each), two lines stay open;
        # full files are closed by a helper thread, off the loop
        deadline = time.monotonic() + 10
        while len(list(folder.glob("*.ndjson"))) < 2:
            assert time.monotonic() < deadline
            await asyncio.sleep(0.01)
        assert len(list(folder.glob("*.ndjson"))) == 2
        assert len(list(folder.glob("*.ndjson.open"))) == 1
        while list(folder.glob("*.ndjson.open")):  # closed by age on the loop's timer
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)

    asyncio.run(write_then_wait(10))
    assert len(list(folder.glob("*.ndjson"))) == 3
    spool.close()
    assert len(spooled_records(folder)) == 10


def test_concurrent_appends_across_many_full_files_all_land_in_closed_files(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "spool"
    spool = Spool(folder, "n1", file_bytes=2048)
    spool.start()
    received = datetime.now(UTC)
    line = b'{"n": %d, "pad": "' + b"x" * 200 + b'"}\n'

    async def many_then_close() -> None:
        for start in range(0, 300, 30):  # groups of 30 concurrent requests
            await asyncio.gather(
                *(spool.append(line % i, received) for i in range(start, start + 30))
            )
        spool.close()

    asyncio.run(many_then_close())

    closed = sorted(folder.glob("*.ndjson"))
    assert list(folder.glob("*.ndjson.open")) == []
    assert len(closed) >= 10  # each group of 30 filled a file, and each full file was closed
    numbers = [int(n) for p in closed for n in re.findall(rb'"n": (\d+)', p.read_bytes())]
    assert sorted(numbers) == list(range(300))  # every acknowledged line once, none torn


def test_restart_ships_files_a_dead_process_left_dropping_a_torn_line(
    tmp_path: Path, make_ingest: Callable[..., Ingest]
) -> None:
    spool_dir = tmp_path / "data" / "spool"
    spool_dir.mkdir(parents=True)
    (spool_dir / "old-1-20261125T100000000000Z-000001.ndjson").write_bytes(
        b'{"event_id": "a"}\n{"event_id": "b"}\n'
    )
    (spool_dir / "old-2-20261125T110500000000Z-000001.ndjson.open").write_bytes(
        b'{"event_id": "c"}\n{"event_id": "d"}\n{"event_id": "tor'
    )
    held = spool_dir / "live-3-20261125T110600000000Z-000001.ndjson.open"
    held.write_bytes(b'{"event_id": "e"}\n')
    fd = os.open(held, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # a live writer in another process holds this one
    try:
        ingest = make_ingest(ingest_ship_interval_seconds=0.05)

        def shipped_all() -> bool:
            # the shipper deletes a spool file just after the lake took it: wait for both
            left = [p.name for p in spool_dir.glob("*.ndjson*")]
            return len(lake_records(ingest.lake_dir)) == 4 and left == [held.name]

        wait_for(shipped_all, timeout=20)

        keys = sorted(
            p.relative_to(ingest.lake_dir).as_posix() for p in ingest.lake_dir.rglob("*.gz")
        )
        assert keys == [
            "events/2026/11/25/10/old-1-20261125T100000000000Z-000001.ndjson.gz",
            "events/2026/11/25/11/old-2-20261125T110500000000Z-000001.ndjson.gz",
        ]
        assert sorted(r["event_id"] for r in lake_records(ingest.lake_dir)) == list("abcd")
        assert [p.name for p in spool_dir.glob("*.ndjson*")] == [held.name]
    finally:
        os.close(fd)


def test_lake_down_fills_spool_to_cap_then_503_and_recovers_when_lake_returns(
    tmp_path: Path, make_ingest: Callable[..., Ingest]
) -> None:
    blocker = tmp_path / "lake-blocked"
    blocker.write_text("a file where the lake folder should be")
    ingest = make_ingest(
        lake_url=str(blocker / "lake"),
        ingest_spool_max_bytes=4096,
        ingest_spool_file_seconds=0.05,
        ingest_retry_after_seconds=7,
        ingest_ship_interval_seconds=0.05,
        ingest_ship_max_backoff_seconds=0.3,
    )
    acknowledged: list[str] = []
    refused = None
    for _ in range(100):
        response = ingest.post({"event_name": "page_view", "properties": {"pad": "x" * 400}})
        if response.status_code != 202:
            refused = response
            break
        acknowledged += response.json()["event_ids"]

    assert refused is not None and refused.status_code == 503
    assert refused.headers["retry-after"] == "7"
    assert refused.json()["error"] == "storage_unavailable"
    assert 4 <= len(acknowledged) <= 12
    assert {r["event_id"] for r in spooled_records(ingest.spool_dir)} == set(acknowledged)
    # enough failed attempts that a back-off doubling past its cap would wait 0.05 * 2**8 s
    wait_for(lambda: ingest.service.shipper.failures >= 8)

    blocker.unlink()  # the lake is back: the shipper finds it on its own, within its cap
    wait_for(lambda: not list(ingest.spool_dir.glob("*.ndjson*")), timeout=5)
    lake = blocker / "lake"
    assert set(acknowledged) <= {r["event_id"] for r in lake_records(lake)}
    assert ingest.post({"event_name": "page_view"}).status_code == 202


def _remove_folder_the_server_still_works_in(folder: Path) -> None:
    # After its 202 the server may still rename the file it just closed, or ship and delete it,
    # while rmtree walks the folder; a name that vanished under rmtree means walk it again.
    for _ in range(50):
        try:
            shutil.rmtree(folder)
            return
        except OSError:
            if not folder.exists():
                return
    raise AssertionError(f"could not remove {folder}")


def test_spool_that_cannot_be_written_answers_503_never_202(
    tmp_path: Path, make_ingest: Callable[..., Ingest]
) -> None:
    ingest = make_ingest(ingest_spool_file_bytes=1024)
    big = {"event_name": "page_view", "properties": {"pad": "x" * 1100}}
    assert ingest.post(big).status_code == 202  # fills and closes the first file
    _remove_folder_the_server_still_works_in(ingest.spool_dir)
    ingest.spool_dir.write_text("not a folder any more")

    response = ingest.post({"event_name": "page_view"})
    assert response.status_code == 503
    assert response.headers["retry-after"]
    ingest.spool_dir.unlink()
    ingest.spool_dir.mkdir()


def test_shipper_keeps_a_file_until_the_lake_confirms(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    spool_dir.mkdir()
    name = "n-1-20261125T120000000000Z-000001.ndjson"
    (spool_dir / name).write_bytes(b'{"event_id": "z"}\n')
    blocker = tmp_path / "blocked"
    blocker.write_text("")
    spool = Spool(spool_dir, "n")
    spool.start()

    assert Shipper(spool, open_lake(str(blocker / "lake"))).ship_once() is False
    assert (spool_dir / name).exists()

    assert Shipper(spool, open_lake(str(tmp_path / "lake"))).ship_once() is True
    assert not (spool_dir / name).exists()
    assert [r["event_id"] for r in lake_records(tmp_path / "lake")] == ["z"]
