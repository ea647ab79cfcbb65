"""Each part's role can do its job and fails with permission errors at everything else."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import errors

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.warehouse.roles import (
    DASHBOARD_ROLE,
    ETL_ROLE,
    INGEST_ROLE,
    SHOP_READER_ROLE,
    SHOP_ROLE,
    ensure_shop_database,
)
from tests.conftest import scratch_database


def as_role(url: str, role: str) -> str:
    return psycopg.conninfo.make_conninfo(url, user=role)


@pytest.fixture
def shop_database_url(pg_admin_url: str) -> Iterator[str]:
    with scratch_database(pg_admin_url, "csshop") as url:
        with psycopg.connect(url, autocommit=True) as conn:
            ensure_shop_database(conn)
        yield url


def test_etl_role_loads_events_and_creates_daily_partitions(
    warehouse_url: str, lake_dir: Path
) -> None:
    record = {
        "event_id": str(uuid.uuid4()),
        "event_name": "page_view",
        "event_timestamp": "2026-03-04T05:06:07Z",
        "received_at": "2026-03-04T05:06:08Z",
    }
    key = "events/2026/03/04/05/n-20260304T050608000000Z-000001.ndjson.gz"
    open_lake(str(lake_dir)).put(key, gzip.compress(json.dumps(record).encode()))

    result = run_etl(as_role(warehouse_url, ETL_ROLE), open_lake(str(lake_dir)))

    assert result.loaded == 1
    with psycopg.connect(as_role(warehouse_url, DASHBOARD_ROLE)) as conn:
        assert conn.execute("SELECT count(*) FROM clickstream_events_20260304").fetchone() == (1,)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO etl_runs (trigger, status) VALUES ('x', 'running')",
        "DELETE FROM clickstream_events",
        "UPDATE lake_manifest SET size_bytes = 0",
        "CREATE TABLE sneaky (x int)",
        "DROP TABLE etl_quarantine",
        "TRUNCATE event_ids",
    ],
)
def test_dashboard_role_cannot_write(warehouse_url: str, statement: str) -> None:
    with (
        psycopg.connect(as_role(warehouse_url, DASHBOARD_ROLE)) as conn,
        pytest.raises(errors.InsufficientPrivilege),
    ):
        conn.execute(statement)


def test_dashboard_role_reads_the_warehouse(warehouse_url: str) -> None:
    with psycopg.connect(as_role(warehouse_url, DASHBOARD_ROLE)) as conn:
        assert conn.execute("SELECT count(*) FROM etl_runs").fetchone() == (0,)


def test_ingest_role_cannot_log_in_anywhere(warehouse_url: str, shop_database_url: str) -> None:
    for url in (warehouse_url, shop_database_url):
        with pytest.raises(psycopg.OperationalError, match="not permitted to log in"):
            psycopg.connect(as_role(url, INGEST_ROLE)).close()


@pytest.mark.parametrize(
    ("role", "target"),
    [
        (SHOP_ROLE, "warehouse"),
        (ETL_ROLE, "shop"),
        (DASHBOARD_ROLE, "shop"),
        (SHOP_READER_ROLE, "warehouse"),
    ],
)
def test_roles_cannot_connect_to_the_other_database(
    warehouse_url: str, shop_database_url: str, role: str, target: str
) -> None:
    url = warehouse_url if target == "warehouse" else shop_database_url
    with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
        psycopg.connect(as_role(url, role)).close()


def test_shop_role_owns_its_database(shop_database_url: str) -> None:
    with psycopg.connect(as_role(shop_database_url, SHOP_ROLE)) as conn:
        conn.execute("CREATE TABLE products (id int)")
        conn.execute("INSERT INTO products VALUES (1)")
        assert conn.execute("SELECT count(*) FROM products").fetchone() == (1,)


def test_shop_reader_reads_the_shops_orders_and_nothing_else(shop_database_url: str) -> None:
    from clickstream.shop.db import create_shop_engine, migrate_shop

    # The shop migrates as its own role after the database was made, as under `clickstream up`.
    engine = create_shop_engine(as_role(shop_database_url, SHOP_ROLE), pool_size=1)
    try:
        migrate_shop(engine)
    finally:
        engine.dispose()

    with psycopg.connect(as_role(shop_database_url, SHOP_READER_ROLE)) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone() == (0,)
        for statement in (
            "SELECT count(*) FROM users",
            "INSERT INTO orders (number, user_id, total, currency, item_count, created_at) "
            "VALUES ('x', 'u', 1, 'EUR', 1, now())",
            "DELETE FROM orders",
        ):
            with pytest.raises(errors.InsufficientPrivilege), conn.transaction():
                conn.execute(statement)


def test_warehouse_tables_belong_to_the_etl_role(warehouse_url: str) -> None:
    with psycopg.connect(warehouse_url) as conn:
        owners = {
            row[0]
            for row in conn.execute("SELECT tableowner FROM pg_tables WHERE schemaname = 'public'")
        }
    assert owners == {ETL_ROLE}


@pytest.fixture
def bare_shop_database_url(pg_admin_url: str) -> Iterator[str]:
    """A shop database as a DBA creates it on a server of their own: default privileges."""
    with scratch_database(pg_admin_url, "csshop") as url:
        yield url


def test_db_migrate_leaves_each_role_able_to_connect_only_to_its_own_database(
    empty_database_url: str, bare_shop_database_url: str, tmp_path: Path
) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env = {
        **clean,
        "CLICKSTREAM_DATA_DIR": str(tmp_path / "data"),
        "CLICKSTREAM_WAREHOUSE_URL": empty_database_url,
        "CLICKSTREAM_SHOP_DB_URL": bare_shop_database_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "clickstream", "db", "migrate"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr

    own = {ETL_ROLE: empty_database_url, DASHBOARD_ROLE: empty_database_url}
    own[SHOP_ROLE] = bare_shop_database_url
    for role, url in own.items():
        psycopg.connect(as_role(url, role)).close()
    for role, url in [
        (ETL_ROLE, bare_shop_database_url),
        (DASHBOARD_ROLE, bare_shop_database_url),
        (SHOP_ROLE, empty_database_url),
    ]:
        with pytest.raises(psycopg.OperationalError, match="permission denied for database"):
            psycopg.connect(as_role(url, role)).close()
    with psycopg.connect(bare_shop_database_url) as conn:  # the shop's own user still connects
        assert conn.execute("SELECT 1").fetchone() == (1,)
