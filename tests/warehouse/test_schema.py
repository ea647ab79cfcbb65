"""The migrations make exactly the warehouse `warehouse/schema/` describes."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from clickstream.warehouse import schema
from clickstream.warehouse.schema import Column, Table

# Tables and partitioned tables of schema public that are not partitions of another.
TABLES_SQL = """
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
"""
COLUMNS_SQL = """
SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
WHERE attrelid = %s::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum
"""
PRIMARY_KEY_SQL = """
SELECT a.attname
FROM pg_index i
CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, position)
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
WHERE i.indrelid = %s::regclass AND i.indisprimary
ORDER BY k.position
"""


def _migrated(conn: psycopg.Connection) -> dict[str, Table]:
    """The tables of the database as `Table`s, read from the catalogue."""
    found = {}
    for (name,) in conn.execute(TABLES_SQL).fetchall():
        columns = tuple(Column(*row) for row in conn.execute(COLUMNS_SQL, (name,)))
        key = tuple(row[0] for row in conn.execute(PRIMARY_KEY_SQL, (name,)))
        found[name] = Table(name, columns, key)
    return found


def test_migrated_warehouse_has_exactly_the_tables_columns_types_and_keys_of_the_schema(
    warehouse_url: str,
) -> None:
    with psycopg.connect(warehouse_url) as conn:
        migrated = _migrated(conn)

    assert sorted(migrated) == sorted(schema.TABLES)
    for name, expected in schema.TABLES.items():
        # Names in order first: a moved or missing column reads more plainly than a type.
        assert migrated[name].column_names == expected.column_names, name
        differing = [
            (found, wanted)
            for found, wanted in zip(migrated[name].columns, expected.columns, strict=True)
            if found != wanted
        ]
        assert differing == [], name
        assert migrated[name].primary_key == expected.primary_key, name


def test_the_etls_column_lists_name_columns_of_their_tables() -> None:
    events = set(schema.EVENT_COLUMNS)

    assert set(schema.DERIVE_COLUMNS) <= events
    assert set(schema.QUARANTINE_COLUMNS) <= set(schema.ETL_QUARANTINE.column_names)
    assert all(schema.PRIMARY_KEYS[t.name] for t in schema.DERIVED)


def test_columns_are_parsed_with_their_type_and_nullability() -> None:
    assert Column.parse("started_at timestamptz not null") == Column(
        "started_at", "timestamp with time zone", True
    )
    assert Column.parse("duration_seconds double precision") == Column(
        "duration_seconds", "double precision", False
    )
    with pytest.raises(ValueError, match="name and a type"):
        Column.parse("orphan")
    with pytest.raises(ValueError, match="primary key names no column"):
        schema.table("t", "a text", key=("b",))


def test_a_days_partition_is_named_by_its_date_and_told_from_the_default(
    warehouse_url: str,
) -> None:
    day = date(2026, 3, 9)
    name = schema.partition_name(day)
    with psycopg.connect(warehouse_url) as conn:
        conn.execute(
            f"CREATE TABLE {name} PARTITION OF clickstream_events "
            "FOR VALUES FROM ('2026-03-09') TO ('2026-03-10')"
        )
        partitions = [
            row[0]
            for row in conn.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = %s::regclass ORDER BY c.relname",
                (schema.PARTITIONED_TABLE,),
            )
        ]

    assert name == "clickstream_events_20260309"
    assert partitions == [name, schema.DEFAULT_PARTITION]
    assert [schema.is_daily_partition(p) for p in partitions] == [True, False]
    assert not schema.is_daily_partition("clickstream_events_2026")
