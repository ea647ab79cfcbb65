"""A second fresh warehouse, for comparing two ways of loading the same lake."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from psycopg import sql

from clickstream.warehouse.migrate import migrate


@pytest.fixture
def other_warehouse_url(pg_admin_url: str) -> Iterator[str]:
    """Another fresh, migrated warehouse on the same server as `warehouse_url`."""
    name = f"cstest_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(pg_admin_url, dbname=name)
    migrate(url)
    yield url
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
