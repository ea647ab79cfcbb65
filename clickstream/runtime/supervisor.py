"""`clickstream up`: every part in one terminal, stopped together and leaving nothing behind.

The supervisor starts the embedded PostgreSQL when no database URL is set, migrates the
warehouse, then runs the shop first (the ingest API checks tokens against its JWKS) and, once
it answers, ingest, the scheduler and the dashboard, as child processes in their own
sessions. Every address they use to reach each other follows the ports in use (`urls.py`).
Ctrl-C or SIGTERM stops the children (SIGTERM, then SIGKILL after a grace period), then
PostgreSQL. Children also get SIGTERM from the kernel if the supervisor dies.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import psutil
import psycopg
import structlog

from clickstream.dashboard.signin.firstrun import ensure_first_admin
from clickstream.events.schema import DEFAULT_SITE_ID
from clickstream.ops.status_urls import masked_url
from clickstream.runtime.configuration import PlatformSettings
from clickstream.runtime.databases import (
    DatabaseUrls,
    database_urls,
    embedded_server,
    needs_embedded,
)
from clickstream.runtime.seeding import seed_demo
from clickstream.runtime.urls import PlatformUrls, part_addresses, platform_urls
from clickstream.warehouse.migrate import migrate
from clickstream.warehouse.sites import ensure_site, make_site

log = structlog.get_logger("clickstream.up")
GRACE_SECONDS = 15.0
# With --demo, spool files close after a few seconds so the demo reaches the lake at once.
DEMO_SPOOL_FILE_SECONDS = "3"
_PR_SET_PDEATHSIG = 1


class AlreadyRunning(RuntimeError):
    """Another `clickstream up` holds this data directory."""


@dataclass
class Child:
    """A part running as a child process."""

    name: str
    process: subprocess.Popen[bytes]


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(name: str, args: list[str], env: dict[str, str]) -> Child:
    process = subprocess.Popen(
        [sys.executable, "-m", "clickstream", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_die_with_parent if sys.platform == "linux" else None,
    )
    return Child(name=name, process=process)


def _wait_for_http(url: str, children: list[Child], timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(c.process.poll() is not None for c in children):
            return False
        try:
            with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310
                if response.status < 500:
                    return True
        except OSError:
            time.sleep(0.2)
    return False


def _stop_children(children: list[Child]) -> None:
    tree: list[psutil.Process] = []
    running: list[psutil.Process] = []
    for child in children:
        try:
            parent = psutil.Process(child.process.pid)
            tree.extend([parent, *parent.children(recursive=True)])
        except psutil.NoSuchProcess:
            continue
        if child.process.poll() is None:
            child.process.send_signal(signal.SIGTERM)
            running.append(parent)
    _gone, alive = psutil.wait_procs(running, timeout=GRACE_SECONDS)
    for proc in alive:
        log.warning("part_killed", pid=proc.pid)
        proc.kill()
    for child in children:
        child.process.wait()
    # Anything a part started and left behind goes too.
    for proc in tree:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                proc.kill()
        except psutil.Error:
            continue


def _hold_lock(data_dir: Path) -> int:
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / "up.lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise AlreadyRunning(f"another `clickstream up` is using {data_dir}") from None
    return fd


_DATABASE_VARIABLES = (
    "CLICKSTREAM_WAREHOUSE_URL",
    "CLICKSTREAM_SHOP_DB_URL",
    "CLICKSTREAM_DASHBOARD_DB_URL",
)


def _part_environments(common: dict[str, str], urls: DatabaseUrls) -> dict[str, dict[str, str]]:
    """Each part's environment holds only the database URL of its own role (least privilege)."""
    return {
        # the ingest reads only the site registry, through the read-only role
        "ingest": {**common, "CLICKSTREAM_INGEST_SITES_DB_URL": urls.dashboard},
        "scheduler": {**common, "CLICKSTREAM_WAREHOUSE_URL": urls.etl},
        "dashboard": {
            **common,
            "CLICKSTREAM_WAREHOUSE_URL": urls.dashboard,
            "CLICKSTREAM_DASHBOARD_DB_URL": urls.dashboard,
            # Orders against purchase events: the role that may only read the shop's orders.
            **({"CLICKSTREAM_SHOP_DB_URL": urls.shop_reader} if urls.shop_reader else {}),
        },
        "shop": {**common, "CLICKSTREAM_SHOP_DB_URL": urls.shop},
    }


def register_shop_site(warehouse_url: str, shop_url: str) -> None:
    """Register the built-in shop as the default site, with its origin (kept when it exists)."""
    parts = urlsplit(shop_url)
    site = make_site(DEFAULT_SITE_ID, "Built-in shop", [f"{parts.scheme}://{parts.netloc}"])
    with psycopg.connect(warehouse_url) as conn:
        ensure_site(conn, site)


def _wire(settings: PlatformSettings, envs: dict[str, dict[str, str]]) -> PlatformUrls:
    """Point the tracker at the ingest API, the ingest API at the shop's tokens and origin, and
    the scheduler's alarms at the ingest metrics and the Live page at its counters, all from
    the ports in use."""
    urls = platform_urls(settings)
    for part, variables in part_addresses(settings, urls).items():
        envs[part].update(variables)
    return urls


def run_platform(settings: PlatformSettings, demo: bool = False) -> int:
    """Run every part until Ctrl-C or SIGTERM; return the exit code.

    With `demo`, once every part answers, demo traffic goes through the ingest API and the
    scheduler is woken to load it at once.
    """
    data_dir = settings.data_dir.resolve()
    lock_fd = _hold_lock(data_dir)
    stop = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    lake = settings.lake_location
    if "://" not in lake:
        Path(lake).mkdir(parents=True, exist_ok=True)
    media = settings.media_location
    if "://" not in media:
        Path(media).mkdir(parents=True, exist_ok=True)
    try:
        with database_urls(settings, keep_running=True) as urls:
            applied = migrate(urls.admin)
            log.info("warehouse_migrated", applied=[m.version for m in applied])
            sign_in_link = _first_admin_link(settings, urls.admin)
            common = {
                key: value for key, value in os.environ.items() if key not in _DATABASE_VARIABLES
            }
            common.update(
                CLICKSTREAM_DATA_DIR=str(data_dir),
                CLICKSTREAM_LAKE_URL=lake if "://" in lake else str(Path(lake).resolve()),
                CLICKSTREAM_MEDIA_URL=media if "://" in media else str(Path(media).resolve()),
            )
            envs = _part_environments(common, urls)
            # one ingest process unless CLICKSTREAM_INGEST_WORKERS says otherwise (0: per core)
            envs["ingest"]["CLICKSTREAM_INGEST_WORKERS"] = str(settings.ingest_workers or 1)
            addresses = _wire(settings, envs)
            register_shop_site(urls.admin, addresses.shop)
            if demo:
                envs["ingest"].setdefault(
                    "CLICKSTREAM_INGEST_SPOOL_FILE_SECONDS", DEMO_SPOOL_FILE_SECONDS
                )
            return _supervise(settings, envs, stop, _Started(addresses, urls, sign_in_link), demo)
    finally:
        if needs_embedded(settings):
            embedded_server(settings).stop()
            log.info("postgres_stopped")
        os.close(lock_fd)


@dataclass(frozen=True)
class _Started:
    addresses: PlatformUrls
    databases: DatabaseUrls
    sign_in_link: str | None = None


def _first_admin_link(settings: PlatformSettings, admin_url: str) -> str | None:
    """On the first start with sign-in on, the `admin` account's one-time sign-in link."""
    if settings.dashboard_auth == "none":
        return None
    link = ensure_first_admin(
        admin_url, settings.dashboard_base_url, timedelta(hours=settings.dashboard_link_hours)
    )
    if link is None:
        log.info("dashboard_admin_exists", hint="lost access? clickstream users reset LOGIN --link")
    return link


def _banner(settings: PlatformSettings, started: _Started, demo: bool) -> str:
    urls, databases = started.addresses, started.databases
    lines = [
        "",
        "Clickstream is up.",
        f"  ingest     POST {urls.collect}",
        f"  dashboard  {urls.dashboard}/",
        f"  shop       {urls.shop}/",
        f"  schedule   {settings.etl_schedule}  (run now: clickstream etl run)",
        f"  warehouse  {masked_url(databases.admin)}",
        f"  shop db    {masked_url(databases.shop)}",
    ]
    if started.sign_in_link:
        lines += [
            "Sign in to the dashboard as admin with this one-time link (it works once):",
            f"    {started.sign_in_link}",
            "  (a password for later: clickstream users reset admin)",
        ]
    elif settings.dashboard_auth == "none":
        lines.append("  WARNING: dashboard sign-in is OFF (CLICKSTREAM_DASHBOARD_AUTH=none)")
    if demo:
        lines.append("Demo data: sending and loading; a line follows when it is visible.")
    lines += ["Press Ctrl-C to stop.", ""]
    return "\n".join(lines)


def _supervise(
    settings: PlatformSettings,
    envs: dict[str, dict[str, str]],
    stop: threading.Event,
    started: _Started,
    demo: bool = False,
) -> int:
    urls = started.addresses
    # The shop first: the ingest API fetches its JWKS at start.
    children = [_spawn("shop", ["shop", "serve"], envs["shop"])]
    try:
        ready = _wait_for_http(f"{settings.shop_local_url}/.well-known/jwks.json", children)
        if ready:
            children += [
                _spawn("ingest", ["ingest", "serve"], envs["ingest"]),
                _spawn("scheduler", ["etl", "schedule"], envs["scheduler"]),
                _spawn("dashboard", ["dashboard", "serve"], envs["dashboard"]),
            ]
            ready = _wait_for_http(f"{urls.ingest}/healthz", children) and _wait_for_http(
                f"{urls.dashboard}/", children
            )
        if not ready and not stop.is_set():
            log.error("start_failed", parts={c.name: c.process.poll() for c in children})
            return 1
        if ready:
            print(_banner(settings, started, demo), file=sys.stderr, flush=True)
        if ready and demo:
            scheduler = next(c for c in children if c.name == "scheduler")
            threading.Thread(
                target=seed_demo,
                args=(
                    envs["shop"],
                    scheduler.process,
                    stop,
                    f"{urls.ingest}/metrics",
                    started.databases.admin,
                    urls.dashboard,
                ),
                daemon=True,
            ).start()
        while not stop.wait(0.2):
            for child in children:
                code = child.process.poll()
                if code is not None:
                    log.error("part_exited", part=child.name, code=code)
                    return 1
        return 0
    finally:
        _stop_children(children)
        log.info("parts_stopped")
