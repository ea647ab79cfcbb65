"""The shop database's one declarative base (owned by auth) matches what its migration makes."""

from __future__ import annotations

from sqlalchemy import Engine, inspect

import clickstream.shop.models  # noqa: F401  (registers the shop's tables on the base)
from clickstream.auth.models import Base


def test_the_migration_creates_exactly_the_tables_and_columns_of_the_models(
    shop_engine: Engine,
) -> None:
    found = inspect(shop_engine)
    tables = set(found.get_table_names()) - {"alembic_version"}
    assert tables == set(Base.metadata.tables)
    assert {"users", "web_sessions", "orders", "products"} <= tables
    for name, table in Base.metadata.tables.items():
        assert {c["name"] for c in found.get_columns(name)} == set(table.columns.keys()), name
