"""A second fresh warehouse, for comparing two ways of loading the same lake."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from clickstream.warehouse.migrate import migrate
from tests.conftest import scratch_database


@pytest.fixture
def other_warehouse_url(pg_admin_url: str) -> Iterator[str]:
    """Another fresh, migrated warehouse on the same server as `warehouse_url`."""
    with scratch_database(pg_admin_url) as url:
        migrate(url)
        yield url
