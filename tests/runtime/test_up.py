"""`clickstream up` starts every part, serves, and stops leaving no process behind."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psutil
import psycopg
import pytest

from clickstream.runtime.postgres import EmbeddedPostgres
from tests.conftest import FAST_SHIPPING, free_port, wait_for_lake

pytestmark = pytest.mark.slow


def _env(data_dir: Path, ingest_port: int, dashboard_port: int) -> dict[str, str]:
    shop_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env.update(
        CLICKSTREAM_DATA_DIR=str(data_dir),
        CLICKSTREAM_INGEST_PORT=str(ingest_port),
        CLICKSTREAM_DASHBOARD_PORT=str(dashboard_port),
        CLICKSTREAM_INGEST_HOST="127.0.0.1",
        CLICKSTREAM_SHOP_PORT=str(shop_port),
        CLICKSTREAM_SHOP_PUBLIC_URL=f"http://127.0.0.1:{shop_port}",
    )
    # a 202 means "in the spool": the real background shipper moves it to the lake, quickly
    env.update({f"CLICKSTREAM_{k.upper()}": str(v) for k, v in FAST_SHIPPING.items()})
    return env


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "clickstream up exited early"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in time")


@contextmanager
def running_up(
    env: dict[str, str], log: Path, demo: bool = False
) -> Iterator[subprocess.Popen[bytes]]:
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "clickstream", "up", *(["--demo"] if demo else [])],
            env=env,
            stdout=out,
            stderr=out,
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _family(process: subprocess.Popen[bytes], data_dir: Path) -> list[psutil.Process]:
    parent = psutil.Process(process.pid)
    members = [parent, *parent.children(recursive=True)]
    server = EmbeddedPostgres(data_dir).running()
    assert server is not None, "the embedded PostgreSQL is not running"
    postmaster = psutil.Process(server.pid)
    return [*members, postmaster, *postmaster.children(recursive=True)]


def _warehouse_count(url: str, timeout: float = 30) -> int:
    deadline = time.monotonic() + timeout
    while True:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT count(*) FROM clickstream_events").fetchone()
        if (row and row[0]) or time.monotonic() > deadline:
            return int(row[0]) if row else 0
        time.sleep(0.2)


def _assert_all_gone(processes: list[psutil.Process]) -> None:
    _gone, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive, [p.info if hasattr(p, "info") else p.pid for p in alive]


def test_up_serves_every_part_refuses_a_second_up_and_stops_cleanly_twice(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ingest_port, dashboard_port = free_port(), free_port()
    env = _env(data_dir, ingest_port, dashboard_port)
    ingest = f"http://127.0.0.1:{ingest_port}"
    log = tmp_path / "up.log"

    with running_up(env, log) as process:
        _wait_http(f"{ingest}/healthz", process)
        # Sign-in is on: "/" answers 303 to the sign-in page, which answers 200.
        _wait_http(f"http://127.0.0.1:{dashboard_port}/auth/sign-in", process)
        family = _family(process, data_dir)
        assert len({p.pid for p in family}) >= 5
        # A second `up` on the same data dir is refused while this one runs.
        second = subprocess.run(
            [sys.executable, "-m", "clickstream", "up"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1
        assert "another `clickstream up`" in second.stderr
        # The first start made an admin and printed a one-time sign-in link: it works once.
        banner = _wait_for_text(log, "Clickstream is up.", process, timeout=60)
        link = banner.split("one-time link (it works once):\n", 1)[1].split()[0]
        assert link.startswith(f"http://127.0.0.1:{dashboard_port}/auth/link/")
        signed_in = httpx.get(link)
        assert signed_in.status_code == 303 and "cs_dashboard" in signed_in.cookies
        assert "already used" in httpx.get(link).text
        posted = httpx.post(f"{ingest}/clickstream", json={"event_name": "page_view"})
        assert posted.status_code == 202
        wait_for_lake(data_dir / "lake", posted.json()["event_ids"])
        run = subprocess.run(
            [sys.executable, "-m", "clickstream", "etl", "run"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        # The scheduler's run at start may have taken the event first; either way it is in.
        server = EmbeddedPostgres(data_dir).running()
        assert server is not None
        first_port = server.port
        assert _warehouse_count(server.url("warehouse")) == 1
        status = subprocess.run(
            [sys.executable, "-m", "clickstream", "status"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert status.returncode == 0, status.stdout + status.stderr
        assert "ingest     up" in status.stdout
        assert "MiB waiting" in status.stdout
        assert "status     ok" in status.stdout
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=60) == 0
    _assert_all_gone(family)
    assert EmbeddedPostgres(data_dir).running() is None

    # A second `up` reuses the data: the event loaded before is still there.
    with running_up(env, log) as process:
        _wait_http(f"{ingest}/healthz", process)
        family = _family(process, data_dir)
        server = EmbeddedPostgres(data_dir).running()
        assert server is not None
        assert server.port == first_port  # one address per data directory
        with psycopg.connect(server.url("warehouse")) as conn:
            assert conn.execute("SELECT count(*) FROM clickstream_events").fetchone() == (1,)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    _assert_all_gone(family)
    assert "Clickstream is up." in log.read_text()
    assert log.read_text().count("/auth/link/") == 1  # the admin exists: no second link


def test_each_part_gets_only_its_own_database_url() -> None:
    from clickstream.runtime.databases import DatabaseUrls
    from clickstream.runtime.supervisor import _part_environments

    urls = DatabaseUrls(admin="pg://admin", etl="pg://etl", dashboard="pg://dash", shop="pg://shop")
    envs = _part_environments({"CLICKSTREAM_DATA_DIR": "/d"}, urls)

    ingest_urls = {k: v for k, v in envs["ingest"].items() if "URL" in k and "pg://" in v}
    # the ingest reads the site registry, and only through the read-only role
    assert ingest_urls == {"CLICKSTREAM_INGEST_SITES_DB_URL": "pg://dash"}
    assert envs["scheduler"]["CLICKSTREAM_WAREHOUSE_URL"] == "pg://etl"
    assert set(envs["dashboard"].values()) >= {"pg://dash"}
    assert "pg://etl" not in envs["dashboard"].values()
    assert "pg://admin" not in {v for env in envs.values() for v in env.values()}
    assert envs["shop"]["CLICKSTREAM_SHOP_DB_URL"] == "pg://shop"
    assert "CLICKSTREAM_WAREHOUSE_URL" not in envs["shop"]


def test_the_dashboard_gets_the_shop_only_as_the_role_that_reads_its_orders() -> None:
    from clickstream.runtime.databases import DatabaseUrls
    from clickstream.runtime.supervisor import _part_environments

    urls = DatabaseUrls("pg://admin", "pg://etl", "pg://dash", "pg://shop", "pg://reader")
    envs = _part_environments({"CLICKSTREAM_DATA_DIR": "/d"}, urls)

    assert envs["dashboard"]["CLICKSTREAM_SHOP_DB_URL"] == "pg://reader"
    assert "pg://shop" not in envs["dashboard"].values()
    assert "pg://reader" not in {
        v for part in ("ingest", "scheduler", "shop") for v in envs[part].values()
    }


def _wait_for_text(log: Path, text: str, process: subprocess.Popen[bytes], timeout: float) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        content = log.read_text()
        if text in content:
            return content
        assert process.poll() is None, "clickstream up exited early:\n" + content[-3000:]
        time.sleep(0.5)
    raise AssertionError(f"{text!r} not in the log in time:\n{log.read_text()[-3000:]}")


def test_up_on_a_moved_shop_port_wires_every_url_to_the_ports_in_use(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    ingest_port, dashboard_port = free_port(), free_port()
    env = _env(data_dir, ingest_port, dashboard_port)
    del env["CLICKSTREAM_SHOP_PUBLIC_URL"]  # only the port moves, as a user would do
    shop = f"http://127.0.0.1:{env['CLICKSTREAM_SHOP_PORT']}"
    ingest = f"http://127.0.0.1:{ingest_port}"
    log = tmp_path / "up.log"

    with running_up(env, log, demo=True) as process:
        text = _wait_for_text(log, "Clickstream is up.", process, timeout=120)
        # The tracker on the shop's pages posts to this ingest, which lets the shop's origin in.
        page = httpx.get(f"{shop}/", timeout=10).text
        assert f'data-endpoint="{ingest}/clickstream"' in page
        preflight = httpx.options(
            f"{ingest}/clickstream",
            headers={"Origin": shop, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization, content-type"},
        )  # fmt: skip
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-origin"] == shop
        # The banner tells where the warehouse is, on the port remembered for this data dir.
        server = EmbeddedPostgres(data_dir).running()
        assert server is not None
        port = (data_dir / "postgres.port").read_text().strip()
        assert str(server.port) == port
        assert f"warehouse  postgresql://postgres@127.0.0.1:{port}/warehouse" in text
        # The demo's pages are the shop's, and the line after the banner says when it is in.
        text = _wait_for_text(log, "Demo data loaded:", process, timeout=300)
        loaded = int(text.split("Demo data loaded: ", 1)[1].split(" ", 1)[0])
        with psycopg.connect(server.url("warehouse")) as conn:
            hosts = conn.execute(
                "SELECT DISTINCT split_part(page_url, '/', 3) FROM clickstream_events"
            ).fetchall()
            events = conn.execute("SELECT count(*) FROM clickstream_events").fetchone()
        assert hosts == [(f"127.0.0.1:{env['CLICKSTREAM_SHOP_PORT']}",)]
        assert events == (loaded,) and loaded > 1000
        status = subprocess.run(
            [sys.executable, "-m", "clickstream", "status"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0

    assert f"warehouse db  postgresql://clickstream_etl@127.0.0.1:{port}/warehouse" in (
        status.stdout
    ), status.stdout
    # The shop's orders were compared with the purchase events (the demo's have no order).
    assert "purchase events without an order" in status.stdout, status.stdout
    lines = log.read_text().splitlines()
    assert not [line for line in lines if "jwks_refresh_failed" in line]
    # `"bytes": 4299` once matched a bare " 429": look for the refusal and its status only.
    assert not [line for line in lines if "rate_limited" in line or '"status": 429' in line]
    sent = [json.loads(line) for line in lines if '"demo_traffic_sent"' in line]
    assert sent and "(0 throttled)" in sent[0]["summary"]
    # Libraries' lines (Alembic's among them) are JSON like ours, not plain text in between.
    alembic = [line for line in lines if "alembic" in line]
    assert alembic and all(json.loads(line)["logger"].startswith("alembic") for line in alembic)
