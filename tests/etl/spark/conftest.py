"""One SparkSession for the whole test run, and warehouses compared table by table."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from clickstream.warehouse import schema
from tests.conftest import require_module

require_module("pyspark", "the Spark engine needs `clickstream[spark]`, which `make test` installs")


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    """A local[2] session (no UI, few shuffle partitions), stopped when the run ends."""
    from clickstream.etl.spark.session import session

    spark = session(
        "local[2]",
        "clickstream-tests",
        {"spark.sql.shuffle.partitions": "2", "spark.driver.memory": "1g"},
    )
    yield spark
    spark.stop()


# Columns that say when a row was written, not what it holds: they differ between any two loads.
WRITE_TIMES = {
    "etl_runs": {"started_at", "finished_at"},
    "lake_manifest": {"loaded_at"},
    "etl_quarantine": {"quarantined_at"},
    "etl_dirty_days": {"marked_at"},
    "scheduler_state": {"changed_at"},
    "privacy_erasures": {"requested_at", "finished_at"},
    "schema_migrations": {"applied_at"},
    "sites": {"created_at"},
    "dashboard_users": {"created_at", "sessions_since"},
    "dashboard_sign_in_links": {"created_at", "expires_at", "used_at"},
}


def compared_columns(table: schema.Table) -> list[str]:
    """The columns of `table` two equal loads agree on."""
    return [c for c in table.column_names if c not in WRITE_TIMES.get(table.name, set())]
