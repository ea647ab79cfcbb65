"""Populated warehouses (one per module) and the dashboard over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import psycopg
import pytest

from clickstream import utc
from clickstream.dashboard.configuration import DashboardSettings
from clickstream.dashboard.signin import cookies
from clickstream.dashboard.signin.accounts import add_user, find_user
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.runtime.postgres import EmbeddedPostgres
from clickstream.settings import load
from clickstream.warehouse.migrate import migrate
from clickstream.warehouse.roles import DASHBOARD_ROLE
from tests.conftest import scratch_database
from tests.dashboard.data import fill_lake


def as_dashboard(url: str) -> str:
    """`url` as the read-only dashboard role."""
    return psycopg.conninfo.make_conninfo(url, user=DASHBOARD_ROLE)


def _database(admin_url: str) -> Iterator[str]:
    with scratch_database(admin_url, "csdash") as url:
        migrate(url)
        yield url


def _populated(admin_url: str, lake_dir: Path, today: date) -> Iterator[str]:
    """A migrated warehouse loaded by the real ETL from a fortnight of lake files in `lake_dir`."""
    for url in _database(admin_url):
        lake_dir.mkdir(parents=True, exist_ok=True)
        fill_lake(lake_dir, today)
        result = run_etl(url, open_lake(str(lake_dir)))
        assert result.status == "succeeded", result
        yield url


@pytest.fixture(scope="module")
def today() -> date:
    """The UTC day the module's data ends on (the dashboard's default range ends today)."""
    return utc.now().date()


@pytest.fixture(scope="module")
def embedded_admin_url(embedded_pg: EmbeddedPostgres) -> str:
    """The embedded server only: browser tests run once, not once per server, to stay fast."""
    running = embedded_pg.running()
    assert running is not None
    return running.url("postgres")


@pytest.fixture(scope="module")
def populated_url(
    embedded_admin_url: str, tmp_path_factory: pytest.TempPathFactory, today: date
) -> Iterator[str]:
    """A warehouse on the embedded server loaded by the real ETL with a fortnight of events."""
    yield from _populated(embedded_admin_url, tmp_path_factory.mktemp("lake"), today)


@pytest.fixture(scope="module")
def populated_url_any_server(
    pg_admin_url: str, tmp_path_factory: pytest.TempPathFactory, today: date
) -> Iterator[str]:
    """The same fortnight on each kind of server (embedded and the machine's)."""
    yield from _populated(pg_admin_url, tmp_path_factory.mktemp("lake"), today)


@pytest.fixture(scope="module")
def empty_url_any_server(pg_admin_url: str) -> Iterator[str]:
    """A migrated warehouse with nothing loaded, on each kind of server."""
    yield from _database(pg_admin_url)


# --- Sign-in: a session cookie minted for a real account, so browser tests skip the form ---

SESSION_SECRET = "tests-dashboard-session-key"


def signed_in_settings() -> DashboardSettings:
    """Sign-in on, with a known cookie key (so that a test can mint a session)."""
    return load(DashboardSettings, dashboard_auth="on", dashboard_session_secret=SESSION_SECRET)


def auth_off_settings() -> DashboardSettings:
    """Sign-in off, for tests that are not about it."""
    return load(DashboardSettings, dashboard_auth="none")


def session_cookie(warehouse_url: str, base_url: str, login: str = "tester") -> dict[str, str]:
    """A Playwright cookie signing `login` (an admin of every site, created if missing) in."""
    with psycopg.connect(warehouse_url, autocommit=True) as conn:
        user = find_user(conn, login) or add_user(conn, login, role="admin")
    value = cookies.mint(SESSION_SECRET.encode(), user.user_id, 3600)
    return {"name": cookies.SESSION_COOKIE, "value": value, "url": base_url}
