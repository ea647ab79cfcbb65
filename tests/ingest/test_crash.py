"""kill -9 under load: after a restart, every acknowledged event_id is in the lake."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, lake_records, wait_for_http

CLIENTS = 4
REQUESTS_PER_CLIENT = 60
EVENTS_PER_REQUEST = 3


class Server:
    """`clickstream ingest serve` as a child process on a fixed port and data folder."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "CLICKSTREAM_DATA_DIR": str(tmp_path / "data"),
            "CLICKSTREAM_LAKE_URL": str(tmp_path / "lake"),
            "CLICKSTREAM_NODE_ID": "crashnode",
            "CLICKSTREAM_INGEST_HOST": "127.0.0.1",
            "CLICKSTREAM_INGEST_PORT": str(self.port),
            "CLICKSTREAM_INGEST_WORKERS": "1",  # one process: SIGKILL hits the one writing
            "CLICKSTREAM_INGEST_RATE_LIMIT_PER_SECOND": "0",
            "CLICKSTREAM_INGEST_AUTH": "off",
            "CLICKSTREAM_LOG_LEVEL": "warning",
        }
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "clickstream", "ingest", "serve"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_http(f"{self.url}/healthz", self.process)

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path)
    yield running
    running.stop()


def test_kill_9_under_load_loses_no_acknowledged_event(server: Server, tmp_path: Path) -> None:
    server.start()
    acknowledged: set[str] = set()
    lock = threading.Lock()
    progress = threading.Semaphore(0)

    def client() -> None:
        with httpx.Client(timeout=5) as http:
            for _ in range(REQUESTS_PER_CLIENT):
                ids = [str(uuid.uuid4()) for _ in range(EVENTS_PER_REQUEST)]
                body = [{"event_name": "page_view", "event_id": i} for i in ids]
                deadline = time.monotonic() + 60
                while True:  # a client that retries the same ids until acknowledged
                    try:
                        response = http.post(f"{server.url}/clickstream", json=body)
                        if response.status_code == 202:
                            assert response.json()["event_ids"] == ids
                            break
                    except httpx.TransportError:
                        pass
                    assert time.monotonic() < deadline, "a request never got acknowledged"
                    time.sleep(0.02)
                with lock:
                    acknowledged.update(ids)
                progress.release()

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for _ in range(CLIENTS * REQUESTS_PER_CLIENT // 3):
        progress.acquire(timeout=60)
    server.signal(signal.SIGKILL)  # in the middle of the load
    with lock:
        before_kill = set(acknowledged)
    assert len(before_kill) >= EVENTS_PER_REQUEST * CLIENTS * REQUESTS_PER_CLIENT // 3

    server.start()  # ships what the killed process left in the spool
    deadline = time.monotonic() + 30
    while not before_kill <= {str(r["event_id"]) for r in lake_records(tmp_path / "lake")}:
        assert time.monotonic() < deadline, "the restart did not ship the leftovers"
        time.sleep(0.1)
    for thread in threads:
        thread.join(timeout=120)

    server.signal(signal.SIGTERM)  # graceful: closes the spool and ships it
    # uvicorn re-raises SIGTERM once its graceful shutdown has finished
    assert server.process is not None and server.process.returncode in (0, -signal.SIGTERM)
    in_lake = {str(r["event_id"]) for r in lake_records(tmp_path / "lake")}
    assert len(acknowledged) == CLIENTS * REQUESTS_PER_CLIENT * EVENTS_PER_REQUEST
    assert acknowledged <= in_lake
    assert not list((tmp_path / "data" / "spool").glob("*.ndjson*"))
