"""`clickstream ingest serve --workers 2`: one port, one spool folder, nothing lost or doubled.

Clients never resend an id (a request that fails is simply not acknowledged), so every id in
the lake must be there exactly once, and every acknowledged one must be there: a file shipped
by two workers, or a killed worker's spool left behind, fails the test.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.conftest import free_port, lake_records, wait_for_http

CLI = [sys.executable, "-m", "clickstream", "ingest", "serve"]
CLIENTS = 4
REQUESTS_PER_PHASE = 25  # per client
EVENTS_PER_REQUEST = 3


class Load:
    """Client threads posting fresh ids on new connections; they keep what was acknowledged."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.acknowledged: set[str] = set()
        self.sent: set[str] = set()
        self.lock = threading.Lock()
        self.done = threading.Semaphore(0)

    def run(self, requests: int) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._client, args=(requests,)) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        return threads

    def _client(self, requests: int) -> None:
        for _ in range(requests):
            ids = [str(uuid.uuid4()) for _ in range(EVENTS_PER_REQUEST)]
            body = [{"event_name": "page_view", "event_id": i} for i in ids]
            with self.lock:
                self.sent.update(ids)
            try:
                # a new connection each time, so the kernel spreads them over the workers
                response = httpx.post(f"{self.url}/clickstream", json=body, timeout=10)
            except httpx.TransportError:
                response = None  # the worker died under it: not acknowledged, never resent
            if response is not None and response.status_code == 202:
                assert response.json()["event_ids"] == ids
                with self.lock:
                    self.acknowledged.update(ids)
            self.done.release()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    env = {
        **os.environ,
        "CLICKSTREAM_DATA_DIR": str(tmp_path / "data"),
        "CLICKSTREAM_LAKE_URL": str(tmp_path / "lake"),
        "CLICKSTREAM_NODE_ID": "multi",
        "CLICKSTREAM_INGEST_HOST": "127.0.0.1",
        "CLICKSTREAM_INGEST_RATE_LIMIT_PER_SECOND": "0",
        "CLICKSTREAM_INGEST_AUTH": "off",
        "CLICKSTREAM_INGEST_SPOOL_FILE_SECONDS": "0.5",
        "CLICKSTREAM_INGEST_SHIP_INTERVAL_SECONDS": "0.2",
        "CLICKSTREAM_LOG_LEVEL": "warning",
    }
    process = subprocess.Popen(
        [*CLI, "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_http(f"{url}/healthz", process)
    yield process, url
    if process.poll() is None:
        process.kill()
        process.wait()


def workers_of(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    children = psutil.Process(process.pid).children()
    return [c for c in children if "spawn_main" in " ".join(c.cmdline())]


def metric(url: str, name: str) -> float:
    text = httpx.get(f"{url}/metrics", timeout=5).text
    match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
    assert match is not None, text
    return float(match[1])


def test_two_workers_share_a_spool_and_a_killed_one_loses_nothing_acknowledged(
    served: tuple[subprocess.Popen[bytes], str], tmp_path: Path
) -> None:
    process, url = served
    spool, lake = tmp_path / "data" / "spool", tmp_path / "lake"
    deadline = time.monotonic() + 20
    while len(workers_of(process)) < 2:
        assert time.monotonic() < deadline, "uvicorn did not start two workers"
        time.sleep(0.1)
    load = Load(url)

    # 1. both workers take requests; /metrics on the one port counts both
    for thread in load.run(REQUESTS_PER_PHASE):
        thread.join(timeout=60)
    assert len(load.acknowledged) == CLIENTS * REQUESTS_PER_PHASE * EVENTS_PER_REQUEST
    # Each worker publishes its counters every second, so a worker can lag its peer by a
    # second (more on a loaded machine); once both have published, whichever worker answers
    # serves the sum of both: eight answers in a row.
    deadline, agreeing = time.monotonic() + 20, 0
    while agreeing < 8:
        assert time.monotonic() < deadline, "/metrics never showed both workers' events"
        found = metric(url, "clickstream_ingest_accepted_events_total")
        agreeing = agreeing + 1 if found == len(load.acknowledged) else 0
        time.sleep(0.2)

    # 2. one worker killed with SIGKILL in the middle of the load
    threads = load.run(REQUESTS_PER_PHASE)
    for _ in range(CLIENTS * REQUESTS_PER_PHASE // 3):
        load.done.acquire(timeout=60)
    victim = workers_of(process)[0]
    victim.kill()
    for thread in threads:
        thread.join(timeout=60)
    deadline = time.monotonic() + 30
    while len(workers_of(process)) < 2:  # uvicorn starts a new one
        assert time.monotonic() < deadline, "the killed worker was not replaced"
        time.sleep(0.1)
    with load.lock:
        acknowledged = set(load.acknowledged)
    deadline = time.monotonic() + 20
    while not acknowledged <= {str(r["event_id"]) for r in lake_records(lake)}:
        assert time.monotonic() < deadline, "the killed worker's spool was not shipped"
        time.sleep(0.2)

    # 3. graceful stop of all; then each acknowledged id is in the lake exactly once
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    assert process.returncode in (0, -signal.SIGTERM)
    records = lake_records(lake)
    counts = Counter(str(r["event_id"]) for r in records)
    assert acknowledged <= set(counts)
    assert [i for i, n in counts.items() if n > 1] == []  # no file shipped twice
    assert set(counts) <= load.sent
    assert not list(spool.glob("*.ndjson*"))
    nodes = {p.name.split("-")[1] for p in (lake / "events").rglob("*.ndjson.gz")}
    assert len(nodes) >= 2  # both workers (node id `multi-<pid>`) took requests
    assert str(victim.pid) in nodes
