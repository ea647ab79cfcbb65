from __future__ import annotations

import psycopg

from clickstream.warehouse.migrate import available_migrations, migrate

ORIGINAL_COLUMNS = [
    "event_id",
    "event_timestamp",
    "event_name",
    "user_id",
    "user_login_state",
    "identity_source",
    "client_id",
    "session_id",
    "is_first_visit",
    "context_product_id",
    "context_product_name",
    "context_product_category",
    "context_product_brand",
    "context_product_price",
    "context_product_discount_price",
    "context_product_url_path",
]


def test_migrations_on_an_empty_database_create_the_tables(empty_database_url: str) -> None:
    applied = migrate(empty_database_url)

    assert [m.version for m in applied] == [m.version for m in available_migrations()]
    with psycopg.connect(empty_database_url) as conn:
        columns = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'clickstream_events' ORDER BY ordinal_position"
            )
        ]
        tables = {
            r[0]
            for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        }
        recorded = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
    assert columns[:16] == ORIGINAL_COLUMNS
    assert {"lake_manifest", "etl_runs", "etl_quarantine", "event_ids"} <= tables
    assert recorded == (len(applied),)


def test_second_migrate_applies_nothing_and_changes_nothing(empty_database_url: str) -> None:
    migrate(empty_database_url)
    with psycopg.connect(empty_database_url) as conn:
        before = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()

    assert migrate(empty_database_url) == []

    with psycopg.connect(empty_database_url) as conn:
        after = conn.execute("SELECT version, applied_at FROM schema_migrations").fetchall()
    assert after == before
