"""Shared fixtures: real PostgreSQL servers (embedded and the machine's), real HTTP servers."""

from __future__ import annotations

import importlib
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn
from psycopg import sql

from clickstream.runtime.postgres import EmbeddedPostgres
from clickstream.warehouse.migrate import migrate

SYSTEM_PG_URL = os.environ.get(
    "CLICKSTREAM_TEST_SYSTEM_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
IN_CI = os.environ.get("CI") == "true"


def require_root(why: str) -> None:
    """Skip a test that needs root when run by a user; CI runs as root, so there it must run."""
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail(f"CI must run as root: {why}")
        pytest.skip(f"needs root: {why}")


def require_module(name: str, why: str) -> Any:
    """Import `name`, or skip a user's local run that lacks it; CI installs everything the
    tests need (`make test`), so there a missing module fails the test."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        if IN_CI:
            pytest.fail(f"CI must have {name} ({why}): {exc}")
        pytest.skip(f"{name} is not installed ({why})")


def require_file(path: Path, why: str) -> None:
    """Skip a user's local run when `path` (something `make test` builds) is missing; in CI
    it must be there."""
    if not path.exists():
        if IN_CI:
            pytest.fail(f"CI must have {path} ({why})")
        pytest.skip(f"{path} is missing ({why})")


# The shop's database, engine, server and client, for the shop, auth, tracker and security tests.
pytest_plugins = ["tests.shop.fixtures"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(
    url: str, process: subprocess.Popen[Any], timeout: float = 30, log: Path | None = None
) -> None:
    """Return once `url` answers 200; if `process` exits or time runs out first, kill it, fail."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            output = log.read_text() if log else ""
            raise AssertionError(f"{url} did not answer (exit code {process.returncode}) {output}")
        time.sleep(0.05)


def _with_database(url: str, database: str) -> str:
    return psycopg.conninfo.make_conninfo(url, dbname=database)


@pytest.fixture(scope="session")
def embedded_pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    """One embedded PostgreSQL for the whole session, from the pip wheel."""
    server = EmbeddedPostgres(tmp_path_factory.mktemp("embedded-pg"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=["embedded", "system"])
def pg_admin_url(request: pytest.FixtureRequest) -> str:
    """An admin URL on each kind of server the tests must pass on."""
    if request.param == "embedded":
        running = request.getfixturevalue("embedded_pg").running()
        assert running is not None
        return running.url("postgres")
    try:
        with psycopg.connect(SYSTEM_PG_URL, connect_timeout=3):
            pass
    except psycopg.OperationalError as exc:
        if IN_CI:
            raise
        pytest.skip(f"the machine's PostgreSQL is not reachable at {SYSTEM_PG_URL}: {exc}")
    return SYSTEM_PG_URL


@contextmanager
def scratch_database(admin_url: str, prefix: str = "cstest") -> Iterator[str]:
    """A new, empty database on `admin_url`'s server, dropped (connections and all) afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def empty_database_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh, empty database, dropped afterwards."""
    with scratch_database(pg_admin_url) as url:
        yield url


@pytest.fixture
def warehouse_url(empty_database_url: str) -> str:
    """A fresh, migrated warehouse database."""
    migrate(empty_database_url)
    return empty_database_url


class ServerThread:
    """A uvicorn server on 127.0.0.1 in a background thread."""

    def __init__(self, app: object, port: int | None = None) -> None:
        self.port = port or free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")  # type: ignore[arg-type]
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> ServerThread:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture
def lake_dir(tmp_path: Path) -> Path:
    """An empty local lake folder."""
    path = tmp_path / "lake"
    path.mkdir()
    return path


@pytest.fixture
def ingest_server(lake_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ServerThread]:
    """The ingest API over real HTTP, writing into `lake_dir` through its background shipper.

    Events reach the lake as in production (spool, then the shipper), only sooner: wait for
    them with `wait_for_lake` before reading the lake.
    """
    from clickstream.ingest.configuration import IngestSettings
    from clickstream.ingest.http.app import build_app

    monkeypatch.setenv("CLICKSTREAM_LAKE_URL", str(lake_dir))
    monkeypatch.setenv("CLICKSTREAM_NODE_ID", "testnode")
    monkeypatch.setenv("CLICKSTREAM_DATA_DIR", str(lake_dir.parent / "ingest-data"))
    for name, value in FAST_SHIPPING.items():
        monkeypatch.setenv(f"CLICKSTREAM_{name.upper()}", str(value))
    with ServerThread(build_app(IngestSettings())) as server:
        yield server


# Ingest settings for end-to-end tests: the real background shipper, made quick (a spool file
# closes after 0.2 s, the shipper looks every 0.1 s and backs off at most 0.5 s).
FAST_SHIPPING = {
    "ingest_spool_file_seconds": 0.2,
    "ingest_ship_interval_seconds": 0.1,
    "ingest_ship_max_backoff_seconds": 0.5,
}


def wait_for_lake(
    lake_dir: Path, ids: Iterable[object], timeout: float = 15, lines: int = 0
) -> list[dict[str, object]]:
    """Poll a local lake until it holds every event id in `ids` (and `lines` lines at least)."""
    wanted = {str(i) for i in ids}
    deadline = time.monotonic() + timeout
    while True:
        records = lake_records(lake_dir)
        missing = wanted - {str(r["event_id"]) for r in records}
        if not missing and len(records) >= lines:
            return records
        assert time.monotonic() < deadline, f"{len(missing)} acknowledged events never shipped"
        time.sleep(0.05)


def lake_records(lake_dir: Path) -> list[dict[str, object]]:
    """Every record in every event object of a local lake."""
    import gzip
    import json

    records = []
    for path in sorted((lake_dir / "events").rglob("*.ndjson.gz")):
        for line in gzip.decompress(path.read_bytes()).splitlines():
            records.append(json.loads(line))
    return records
