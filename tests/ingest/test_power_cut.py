"""A power cut under load loses no acknowledged event; a failed fsync is never acknowledged.

`kill -9` leaves the page cache alone, so it cannot tell an fsynced spool from one that only
wrote. Here the spool lives on a FUSE filesystem (`powercut_fs.py`) that keeps written bytes
in memory and makes them durable only on fsync; a power cut throws away everything not synced,
as a real machine losing power does. Root only, like the other mounts (CI runs as root).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import require_root
from tests.ingest.test_crash import Server

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 3
EVENTS_PER_REQUEST = 3


class PowerCutDisk:
    """The FUSE filesystem of `powercut_fs.py`, mounted in a child process and driven by it."""

    def __init__(self, mount_point: Path) -> None:
        self.mount_point = mount_point
        mount_point.mkdir()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.ingest.powercut_fs", str(mount_point)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 15
        while not os.path.ismount(mount_point):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise AssertionError("the FUSE filesystem did not mount")
            time.sleep(0.02)

    def command(self, line: str) -> str:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def report(self) -> dict[str, int]:
        answer: dict[str, int] = json.loads(self.command("report"))
        return answer

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.mount_point)], check=False)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[PowerCutDisk]:
    require_root("mounting a FUSE filesystem")
    if not os.path.exists("/dev/fuse"):
        pytest.fail("/dev/fuse is missing: the power-cut tests need FUSE")
    mounted = PowerCutDisk(tmp_path / "disk")
    yield mounted
    mounted.unmount()


class Ingest(Server):
    """`clickstream ingest serve` in a child process (as the crash tests run it) with its spool
    on the FUSE disk."""

    def __init__(self, tmp_path: Path, spool: Path) -> None:
        super().__init__(tmp_path)
        self.lake = tmp_path / "lake"
        self.env["CLICKSTREAM_INGEST_SPOOL_DIR"] = str(spool)
        self.env["CLICKSTREAM_NODE_ID"] = "cutnode"

    @property
    def endpoint(self) -> str:
        return f"{self.url}/clickstream"

    def kill(self) -> None:
        self.stop()

    def lake_ids(self) -> set[str]:
        """Event ids of every whole JSON line in the lake (a line torn or zeroed counts as lost)."""
        import gzip

        ids = set()
        for path in self.lake.rglob("*.ndjson.gz"):
            for line in gzip.decompress(path.read_bytes()).splitlines():
                try:
                    ids.add(str(json.loads(line)["event_id"]))
                except ValueError:
                    continue
        return ids


@pytest.fixture
def ingest(tmp_path: Path, disk: PowerCutDisk) -> Iterator[Ingest]:
    running = Ingest(tmp_path, disk.mount_point)
    yield running
    running.kill()


def _batch() -> tuple[list[str], list[dict[str, Any]]]:
    ids = [str(uuid.uuid4()) for _ in range(EVENTS_PER_REQUEST)]
    return ids, [{"event_name": "page_view", "event_id": i} for i in ids]


def _wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


def test_power_cut_under_load_keeps_every_acknowledged_event(
    disk: PowerCutDisk, ingest: Ingest
) -> None:
    ingest.start()
    acknowledged: set[str] = set()
    lock = threading.Lock()
    stop = threading.Event()

    def client() -> None:  # posts until the power goes; errors after the cut are expected
        with httpx.Client(timeout=5) as http:
            while not stop.is_set():
                ids, body = _batch()
                try:
                    response = http.post(ingest.endpoint, json=body)
                except httpx.TransportError:
                    continue
                if response.status_code == 202:
                    assert response.json()["event_ids"] == ids
                    with lock:
                        acknowledged.update(ids)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    _wait_for(lambda: len(acknowledged) >= 300, 30, "the load did not get going")
    assert disk.command("cut") == "ok"  # everything not fsynced is gone, the disk is dead
    ingest.kill()
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    # a 202 still on its way at the cut was fsynced before it: it must survive too
    with lock:
        before_cut = set(acknowledged)

    assert disk.command("boot") == "ok"
    ingest.start()  # ships what the spool kept through the cut
    _wait_for(
        lambda: before_cut <= ingest.lake_ids(),
        20,
        "acknowledged events were lost in the power cut",
    )


@pytest.mark.parametrize("error", ["EIO", "ENOSPC"])
def test_failed_fsync_answers_503_and_nothing_is_appended_to_that_file_again(
    disk: PowerCutDisk, ingest: Ingest, error: str
) -> None:
    ingest.start()
    with httpx.Client(timeout=10) as http:
        first_ids, body = _batch()
        assert http.post(ingest.endpoint, json=body).status_code == 202

        assert disk.command(f"fail {error}") == "ok"
        _, body = _batch()
        refused = http.post(ingest.endpoint, json=body)
        assert refused.status_code == 503, refused.text
        assert refused.json()["error"] == "storage_unavailable"
        assert refused.headers["retry-after"]
        assert disk.report()["failed_syncs"] >= 1

        assert disk.command("heal") == "ok"
        later: set[str] = set()
        for _ in range(5):
            ids, body = _batch()
            assert http.post(ingest.endpoint, json=body).status_code == 202
            later.update(ids)

    assert disk.report()["writes_after_failed_sync"] == 0
    # a cut now: what was acknowledged before and after the failure is durable, whole
    assert disk.command("cut") == "ok"
    ingest.kill()
    assert disk.command("boot") == "ok"
    ingest.start()
    _wait_for(
        lambda: set(first_ids) | later <= ingest.lake_ids(),
        20,
        "an event acknowledged around the failed fsync was lost",
    )
