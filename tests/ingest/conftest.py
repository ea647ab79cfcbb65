"""Fixtures for the ingest tests: a real ingest server over loopback HTTP on temporary folders."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn

from clickstream.ingest.configuration import IngestSettings
from clickstream.ingest.http.app import build_app, build_service
from clickstream.ingest.service import IngestService
from clickstream.lake import LakeStore
from tests.conftest import ServerThread, lake_records


class IngestServerThread(ServerThread):
    """Uvicorn as `ingest serve` runs it: X-Forwarded-For is left to the app to judge."""

    def __init__(self, app: object) -> None:
        super().__init__(app)
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,  # type: ignore[arg-type]
                host="127.0.0.1",
                port=self.port,
                log_level="warning",
                proxy_headers=False,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)


def spooled_records(spool_dir: Path) -> list[dict[str, Any]]:
    """Every record in the spool, open and closed files alike."""
    records = []
    if spool_dir.exists():
        for path in sorted(spool_dir.glob("*.ndjson*")):
            records += [json.loads(line) for line in path.read_bytes().splitlines() if line]
    return records


@dataclass
class Ingest:
    """A running ingest server and the folders it writes."""

    server: ServerThread
    service: IngestService
    lake_dir: Path
    spool_dir: Path

    @property
    def url(self) -> str:
        return f"{self.server.url}/clickstream"

    def post(
        self,
        body: object,
        headers: dict[str, str] | None = None,
        gzip_body: bool = False,
    ) -> httpx.Response:
        content = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"content-type": "application/json", **(headers or {})}
        if gzip_body:
            content = gzip.compress(content)
            sent["content-encoding"] = "gzip"
        return httpx.post(self.url, content=content, headers=sent, timeout=10)

    def stored(self) -> list[dict[str, Any]]:
        """Records durable anywhere: in the spool or in the lake."""
        return spooled_records(self.spool_dir) + lake_records(self.lake_dir)


def settings_for(tmp_path: Path, **overrides: Any) -> IngestSettings:
    """Ingest settings on `tmp_path` with rate limits off unless a test turns them on."""
    values: dict[str, Any] = {
        "data_dir": tmp_path / "data",
        "lake_url": str(tmp_path / "lake"),
        "node_id": "testnode",
        "ingest_rate_limit_per_second": 0,
        "ingest_auth": "off",
    }
    values.update(overrides)
    return IngestSettings(**values)


@contextmanager
def running_ingest(
    tmp_path: Path, lake: LakeStore | None = None, **overrides: Any
) -> Iterator[Ingest]:
    """Start an ingest server with `overrides`; on exit it stops and ships its spool."""
    settings = settings_for(tmp_path, **overrides)
    service = build_service(settings, lake)
    (tmp_path / "lake").mkdir(exist_ok=True)
    with IngestServerThread(build_app(settings, service)) as server:
        yield Ingest(server, service, tmp_path / "lake", settings.ingest_spool_location)


@pytest.fixture
def make_ingest(tmp_path: Path) -> Iterator[Callable[..., Ingest]]:
    """A factory for ingest servers with chosen settings, all stopped at the end."""
    stack: list[Any] = []

    def make(**overrides: Any) -> Ingest:
        manager = running_ingest(tmp_path, **overrides)
        stack.append(manager)
        return manager.__enter__()

    yield make
    for manager in reversed(stack):
        manager.__exit__(None, None, None)


@pytest.fixture
def ingest(make_ingest: Callable[..., Ingest]) -> Ingest:
    """An ingest server with default limits whose 2xx lands in the lake before the answer."""
    return make_ingest(ingest_ship_before_ack=True)
