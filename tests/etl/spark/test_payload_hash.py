"""One payload hash: DuckDB and Spark compute the same hash of the same typed values."""

from __future__ import annotations

from typing import Any

import duckdb

from clickstream.etl.payload import PAYLOAD_FIELDS, payload_hash_sql

TYPES = {
    "duckdb": {"text": "VARCHAR", "json": "VARCHAR", "time": "TIMESTAMPTZ"},
    "spark": {"text": "STRING", "json": "STRING", "time": "TIMESTAMP"},
}
NUMBERS = {
    "is_first_visit": "BOOLEAN",
    "context_product_quantity": "INTEGER",
    "order_item_count": "INTEGER",
}
# Rows of text literals (None is NULL), cast to each field's type in each engine.
ROWS: list[dict[str, Any]] = [
    {},
    {"event_name": "page_view", "client_timestamp": "2026-11-24 10:00:00.123456+00"},
    {"event_name": "", "user_id": "é ü 😀", "is_first_visit": "true", "order_total": "12.5"},
    {
        "event_name": "x",
        "context_product_price": "0",
        "context_product_quantity": "-3",
        "properties": '{"a":[1,2.5,{"b":null}]}',
        "client_timestamp": "1970-01-01 00:00:00+00",
    },
    {"page_url": "=", "referrer": "!", "order_id": "a\tb\nc"},  # the markers as values
]


def _select(dialect: str) -> str:
    def literal(value: str | None, kind: str, column: str) -> str:
        if kind == "number":
            sql_type = NUMBERS.get(column, "DECIMAL(14, 2)")
        else:
            sql_type = TYPES[dialect][kind]
        text = "NULL" if value is None else "'" + value.replace("'", "''") + "'"
        return f"CAST({text} AS {sql_type}) AS {column}"

    rows = [
        "SELECT " + ", ".join(literal(row.get(c), k, c) for c, k in PAYLOAD_FIELDS) for row in ROWS
    ]
    hashed = payload_hash_sql(dialect)  # type: ignore[arg-type]
    if dialect == "duckdb":
        hashed = f"CAST({hashed} AS VARCHAR)"
    return f"SELECT {hashed} AS h FROM ({' UNION ALL '.join(rows)})"


def test_duckdb_and_spark_hash_the_same_values_alike(spark: Any) -> None:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    ducks = [row[0].replace("-", "") for row in con.execute(_select("duckdb")).fetchall()]
    sparks = [row[0] for row in spark.sql(_select("spark")).collect()]
    assert sorted(ducks) == sorted(sparks)  # UNION ALL promises no order
    assert len(set(ducks)) == len(ROWS)  # different payloads, different hashes
