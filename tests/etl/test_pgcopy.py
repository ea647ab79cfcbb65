"""Binary COPY (`pgcopy`) stores exactly what the same rows stored as CSV, edge values too.

Rows are built in DuckDB with the types the transform gives them, and loaded into the migrated
warehouse once as CSV and once in PostgreSQL's binary format: streamed with `copy_query` into
`clickstream_events` (a daily partition, or the default one through the parent, as the load
does) and `event_ids`, the CSV into tables created `LIKE` them. Binary COPY files (the derive
writes those) are checked too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import psycopg
import pytest
from psycopg import sql

from clickstream.etl.copy import (
    SUFFIX,
    UnsupportedColumnType,
    copy_in,
    copy_query,
    duckdb_types,
    write_copy_file,
)
from clickstream.etl.extract import FetchedFile
from clickstream.etl.outcomes import prepare
from clickstream.etl.transform import (
    EVENT_COLUMNS,
    ID_COLUMNS,
    SQL_PACKAGE,
    connect,
    read_batch,
)
from clickstream.sqlfiles import named
from clickstream.warehouse.partitions import ensure_partitions, partition_for
from tests.etl.lakefiles import HOUR, record

# The DuckDB type of each column as the transform leaves it in `loaded` / `candidate_ids`.
EVENT_TYPES = {
    **dict.fromkeys(EVENT_COLUMNS, "VARCHAR"),
    "event_id": "UUID",
    "event_timestamp": "TIMESTAMP WITH TIME ZONE",
    "received_at": "TIMESTAMP WITH TIME ZONE",
    "client_timestamp": "TIMESTAMP WITH TIME ZONE",
    "is_first_visit": "BOOLEAN",
    "is_bot": "BOOLEAN",
    "context_product_price": "DECIMAL(14,2)",
    "context_product_discount_price": "DECIMAL(14,2)",
    "order_total": "DECIMAL(14,2)",
    "context_product_quantity": "INTEGER",
    "order_item_count": "INTEGER",
    "properties": "JSON",
    "etl_run_id": "BIGINT",
}
ID_TYPES = {
    "event_id": "UUID",
    "event_timestamp": "TIMESTAMP WITH TIME ZONE",
    "source_file": "VARCHAR",
    "payload_hash": "UUID",
}
REQUIRED = {
    "event_id",
    "event_timestamp",
    "event_name",
    "received_at",
    "is_bot",
    "source_file",
    "site_id",
}
TEXT_COLUMNS = [c for c in EVENT_COLUMNS if EVENT_TYPES[c] == "VARCHAR"]
NULLABLE_TEXT = [c for c in TEXT_COLUMNS if c not in REQUIRED]

UNICODE = "Grüße, 東京 — ½ naïve café 😀🛒👩‍👩‍👧 e\u0301"
AWKWARD = 'say "hi", then, \\ back\\slash\n\\.\nnew "" line\r\n\ttab, \\N, NULL'
PRE_2000 = datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
MICROS = datetime(2024, 2, 29, 12, 34, 56, 123456, tzinfo=UTC)
LATE_2099 = datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)
HIGH_UUID = uuid.UUID("f0e1d2c3-b4a5-4697-8899-aabbccddeeff")
NESTED_JSON = (
    '{"cart": {"items": [{"sku": "A-1", "qty": 2, "price": 19.99}, {"sku": "😀", "qty": null}],'
    ' "empty": {}, "none": []}, "größe": "東京", "escaped": "quote \\" backslash \\\\ nl \\n",'
    ' "big": 1e400, "tiny": 1e-400, "long": 12345678901234567890123, "float": 1.50,'
    ' "neg": -0.0, "flag": true, "dup": 1, "dup": 2}'
)


def _event(event_id: uuid.UUID, at: datetime, **fields: Any) -> dict[str, Any]:
    """An event row with every nullable column NULL unless given."""
    row: dict[str, Any] = dict.fromkeys(EVENT_COLUMNS)
    row.update(
        event_id=event_id,
        event_timestamp=at,
        event_name="page_view",
        received_at=at,
        is_bot=False,
        source_file="events/2024/02/29/12/n1-x-000001.ndjson.gz",
        site_id="default",
    )
    row.update(fields)
    return row


EDGE_EVENTS = [
    # NULL in every nullable column.
    _event(uuid.UUID("00000000-0000-0000-0000-000000000000"), MICROS),
    # Empty strings, not NULL; JSON null, not SQL NULL.
    _event(
        uuid.UUID("00000000-0000-4000-8000-000000000001"),
        MICROS,
        **dict.fromkeys(TEXT_COLUMNS, ""),
        properties="null",
    ),
    _event(
        uuid.UUID("00000000-0000-4000-8000-000000000002"),
        MICROS,
        **dict.fromkeys(TEXT_COLUMNS, UNICODE),
        properties='{"emoji": "😀🛒", "名前": "東京", "e\\u0301": "\\u00e9"}',
        is_first_visit=True,
        is_bot=True,
    ),
    _event(
        uuid.UUID("00000000-0000-4000-8000-000000000003"),
        MICROS,
        **dict.fromkeys(TEXT_COLUMNS, AWKWARD),
        properties=NESTED_JSON,
        is_first_visit=False,
    ),
    _event(
        uuid.UUID("00000000-0000-4000-8000-000000000004"),
        PRE_2000,
        received_at=datetime(2000, 1, 1, tzinfo=UTC),
        client_timestamp=datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        context_product_price=Decimal("0"),
        context_product_discount_price=Decimal("0.01"),
        order_total=Decimal("-0.01"),
        context_product_quantity=0,
        order_item_count=-1,
        etl_run_id=0,
        properties="{}",
        is_first_visit=None,
    ),
    _event(
        HIGH_UUID,
        LATE_2099,
        received_at=datetime(2099, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        client_timestamp=PRE_2000,
        context_product_price=Decimal("-12345.67"),
        context_product_discount_price=Decimal("999999999999.99"),
        order_total=Decimal("-999999999999.99"),
        context_product_quantity=2_147_483_647,
        order_item_count=-2_147_483_648,
        etl_run_id=9_223_372_036_854_775_807,
        properties='[1, 2.5, -3e-2, "x"]',
        is_first_visit=True,
    ),
    _event(
        uuid.UUID("ffffffff-ffff-ffff-ffff-ffffffffffff"),
        LATE_2099,
        received_at=LATE_2099,
        properties='"just a string"',
        etl_run_id=-1,
    ),
    _event(
        uuid.UUID("80000000-0000-0000-0000-000000000000"),
        datetime(2000, 1, 1, tzinfo=UTC),
        context_product_price=Decimal("0.01"),
        order_total=Decimal("999999999999.99"),
    ),
]
EDGE_IDS = [
    (
        row["event_id"],
        row["event_timestamp"],
        row["source_file"],
        uuid.uuid5(uuid.NAMESPACE_OID, str(row["event_id"])),
    )
    for row in EDGE_EVENTS
] + [
    (uuid.UUID("8f000000-0000-4000-8000-00000000000a"), PRE_2000, "", None),
    (uuid.UUID("00000000-0000-4000-8000-00000000000b"), LATE_2099, AWKWARD, HIGH_UUID),
    (uuid.UUID("00000000-0000-4000-8000-00000000000c"), MICROS, UNICODE, uuid.UUID(int=0)),
]


def _create(con: duckdb.DuckDBPyConnection, table: str, types: dict[str, str]) -> None:
    columns = ", ".join(f"{name} {kind}" for name, kind in types.items())
    con.execute(f"CREATE OR REPLACE TABLE {table} ({columns})")


def _fill(con: duckdb.DuckDBPyConnection, table: str, rows: Sequence[Sequence[Any]]) -> None:
    marks = ", ".join("?" for _ in rows[0])
    con.executemany(f"INSERT INTO {table} VALUES ({marks})", [list(row) for row in rows])


def _write_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> None:
    con.execute(f"COPY ({query}) TO '{path}' (FORMAT csv, HEADER false)")


def _days(rows: Sequence[dict[str, Any]]) -> list[date]:
    return sorted({row["event_timestamp"].astimezone(UTC).date() for row in rows})


def _difference(conn: psycopg.Connection, columns: Sequence[str], left: str, right: str) -> int:
    listed = sql.SQL(", ").join(sql.Identifier(c) for c in columns)
    query = sql.SQL(
        "SELECT count(*) FROM (SELECT {cols} FROM {left} EXCEPT ALL SELECT {cols} FROM {right}) d"
    ).format(cols=listed, left=sql.Identifier(left), right=sql.Identifier(right))
    row = conn.execute(query).fetchone()
    assert row is not None
    return int(row[0])


def _compared(
    conn: psycopg.Connection, columns: Sequence[str], binary: str, csv: str
) -> tuple[int, int, int, int]:
    """Rows in the binary-loaded and the CSV-loaded table, and rows only in each."""
    counts = conn.execute(
        sql.SQL("SELECT (SELECT count(*) FROM {}), (SELECT count(*) FROM {})").format(
            sql.Identifier(binary), sql.Identifier(csv)
        )
    ).fetchone()
    assert counts is not None
    only_binary = _difference(conn, columns, binary, csv)
    only_csv = _difference(conn, columns, csv, binary)
    return int(counts[0]), int(counts[1]), only_binary, only_csv


@pytest.fixture
def duck() -> Iterator[duckdb.DuckDBPyConnection]:
    """The transform's DuckDB, holding the edge rows as `loaded` and `ids`."""
    con = connect(2, "1GB")
    _create(con, "loaded", EVENT_TYPES)
    _fill(con, "loaded", [[row[c] for c in EVENT_COLUMNS] for row in EDGE_EVENTS])
    _create(con, "ids", ID_TYPES)
    _fill(con, "ids", EDGE_IDS)
    yield con
    con.close()


@pytest.fixture
def loaded_both_ways(duck: duckdb.DuckDBPyConnection, warehouse_url: str, tmp_path: Path) -> str:
    """A warehouse holding the edge rows twice: binary COPY into `clickstream_events` and
    `event_ids` (streamed as the load does, the events day by day), CSV into `csv_events` and
    `csv_ids` created LIKE them."""
    statement = named(SQL_PACKAGE, "outputs.sql")["loaded_events"]
    ids_query = f"SELECT {', '.join(ID_COLUMNS)} FROM ids"
    events_query = f"SELECT {', '.join(EVENT_COLUMNS)} FROM loaded"
    with psycopg.connect(warehouse_url) as conn:
        days = _days(EDGE_EVENTS)
        ensure_partitions(conn, days)
        for day in days:
            query = statement.format(day=f"DATE '{day}'")
            copy_query(conn, partition_for(day), EVENT_COLUMNS, duck, query)
        copy_query(conn, "event_ids", ID_COLUMNS, duck, ids_query)

        conn.execute("CREATE TABLE csv_events (LIKE clickstream_events INCLUDING ALL)")
        conn.execute("CREATE TABLE csv_ids (LIKE event_ids INCLUDING ALL)")
        _write_csv(duck, events_query, tmp_path / "events.csv")
        copy_in(conn, "csv_events", EVENT_COLUMNS, tmp_path / "events.csv")
        _write_csv(duck, ids_query, tmp_path / "ids.csv")
        copy_in(conn, "csv_ids", ID_COLUMNS, tmp_path / "ids.csv")
    return warehouse_url


def test_edge_rows_have_the_duckdb_types_the_transform_gives_events_and_ids(
    tmp_path: Path,
) -> None:
    # Guards the comparison below: it is only worth as much as its input types are real.
    con = connect(2, "1GB")
    line = record("product_view", product={"id": "p", "price": "1.50", "quantity": "2"})
    text = json.dumps({**line, "properties": {"a": 1}}) + "\n"
    key = f"events/{HOUR:%Y/%m/%d/%H}/n1-x-000001.ndjson.gz"
    files = [FetchedFile(key, len(text), HOUR, text)]
    read_batch(con, files)
    prepare(con, 0, files, tmp_path, run_id=1, direct=False)

    # The event rows as `loaded_events` COPYs them; their lines (`items`) go to event_items.
    loaded = con.sql("SELECT * EXCLUDE (items) FROM loaded")
    items_type = str(con.sql("SELECT items FROM loaded").types[0])
    candidates = con.sql(named(SQL_PACKAGE, "outputs.sql")["candidate_ids"])
    event_types = dict(zip(loaded.columns, map(str, loaded.types), strict=True))
    id_types = dict(zip(candidates.columns, map(str, candidates.types), strict=True))
    con.close()

    assert event_types == EVENT_TYPES
    assert items_type == "JSON"
    assert id_types == ID_TYPES


def test_binary_copy_of_edge_events_stores_exactly_the_rows_csv_stores(
    loaded_both_ways: str,
) -> None:
    with psycopg.connect(loaded_both_ways) as conn:
        compared = _compared(conn, EVENT_COLUMNS, "clickstream_events", "csv_events")
        # EXCEPT compares numerics by value; their text also shows the stored scale.
        decimals = conn.execute(
            "SELECT count(*) FROM (SELECT event_id, context_product_price::text, "
            "context_product_discount_price::text, order_total::text, properties::text "
            "FROM clickstream_events EXCEPT ALL SELECT event_id, context_product_price::text, "
            "context_product_discount_price::text, order_total::text, properties::text "
            "FROM csv_events) d"
        ).fetchone()

    assert compared == (len(EDGE_EVENTS), len(EDGE_EVENTS), 0, 0)
    assert decimals == (0,)


def test_binary_copy_of_candidate_ids_stores_exactly_the_rows_csv_stores(
    loaded_both_ways: str,
) -> None:
    with psycopg.connect(loaded_both_ways) as conn:
        compared = _compared(conn, ID_COLUMNS, "event_ids", "csv_ids")
        stored = conn.execute(
            "SELECT event_id, event_timestamp, source_file, payload_hash FROM event_ids"
        ).fetchall()

    assert compared == (len(EDGE_IDS), len(EDGE_IDS), 0, 0)
    assert sorted(stored, key=lambda r: r[0]) == sorted(EDGE_IDS, key=lambda r: r[0])


def test_binary_copy_decodes_edge_values_as_python_wrote_them(loaded_both_ways: str) -> None:
    with psycopg.connect(loaded_both_ways) as conn:
        rows = {
            row[0]: row
            for row in conn.execute(
                "SELECT event_id, tableoid::regclass::text, event_timestamp, received_at, "
                "client_timestamp, user_id, referrer, context_product_name, is_first_visit, "
                "is_bot, context_product_price::text, context_product_discount_price::text, "
                "order_total::text, context_product_quantity, order_item_count, etl_run_id, "
                "properties, properties::text, source_file FROM clickstream_events"
            )
        }
    nulls, empty, uni, awkward, pre_2000, high = (rows[e["event_id"]] for e in EDGE_EVENTS[:6])

    assert nulls[5:10] == (None, None, None, None, False)
    assert nulls[16] is None and empty[16] is None
    assert empty[5:8] == ("", "", "") and empty[18] == ""
    assert empty[17] == "null"  # JSON null, not SQL NULL
    assert uni[5] == UNICODE and uni[8:10] == (True, True)
    assert uni[16] == {"emoji": "😀🛒", "名前": "東京", "e\u0301": "\u00e9"}
    assert awkward[5] == AWKWARD and awkward[18] == AWKWARD and awkward[8] is False
    assert awkward[16]["cart"]["items"][1] == {"sku": "😀", "qty": None}
    assert awkward[16]["escaped"] == 'quote " backslash \\ nl \n'
    assert awkward[16]["big"] == 10**400 and awkward[16]["dup"] == 2
    assert pre_2000[1:5] == (
        "clickstream_events_default",
        PRE_2000,
        datetime(2000, 1, 1, tzinfo=UTC),
        datetime(1970, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
    )
    assert pre_2000[10:16] == ("0.00", "0.01", "-0.01", 0, -1, 0)
    assert high[1:3] == ("clickstream_events_20991231", LATE_2099)
    assert high[10:16] == (
        "-12345.67",
        "999999999999.99",
        "-999999999999.99",
        2_147_483_647,
        -2_147_483_648,
        9_223_372_036_854_775_807,
    )
    assert HIGH_UUID in rows and uuid.UUID("80000000-0000-0000-0000-000000000000") in rows


def test_binary_file_with_bigint_for_an_integer_column_raises_and_stores_nothing(
    duck: duckdb.DuckDBPyConnection, warehouse_url: str, tmp_path: Path
) -> None:
    # A field of another width than the column's fails the COPY. (PostgreSQL cannot catch a
    # same-width mismatch, e.g. a BIGINT read as timestamptz: the type test above guards that.)
    columns = ", ".join(
        f"CAST({c} AS BIGINT) AS {c}" if c == "context_product_quantity" else c
        for c in EVENT_COLUMNS
    )
    path = tmp_path / f"events{SUFFIX}"
    written = write_copy_file(duck, f"SELECT {columns} FROM loaded", path)

    with psycopg.connect(warehouse_url) as conn:
        conn.execute("CREATE TABLE events_copy (LIKE clickstream_events INCLUDING ALL)")
        conn.commit()
        with pytest.raises(psycopg.errors.InvalidBinaryRepresentation):
            copy_in(conn, "events_copy", EVENT_COLUMNS, path)
        conn.rollback()
        stored = conn.execute("SELECT count(*) FROM events_copy").fetchone()

    assert written == len(EDGE_EVENTS)
    assert stored == (0,)


def test_write_copy_file_returns_the_row_count_across_several_arrow_batches(
    warehouse_url: str, tmp_path: Path
) -> None:
    con = connect(2, "1GB")
    path = tmp_path / f"ids{SUFFIX}"
    query = (
        "SELECT uuid() AS event_id, TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(i) "
        "AS event_timestamp, 'f-' || i AS source_file, NULL::UUID AS payload_hash "
        "FROM range(40000) AS r(i)"
    )

    written = write_copy_file(con, query, path)
    con.close()
    with psycopg.connect(warehouse_url) as conn:
        copy_in(conn, "event_ids", ID_COLUMNS, path)
        counts = conn.execute(
            "SELECT count(*), count(DISTINCT source_file) FROM event_ids"
        ).fetchone()

    assert written == 40_000
    assert counts == (40_000, 40_000)


def test_write_copy_file_of_no_rows_returns_zero_and_loads_nothing(
    duck: duckdb.DuckDBPyConnection, warehouse_url: str, tmp_path: Path
) -> None:
    path = tmp_path / f"events{SUFFIX}"
    query = f"SELECT {', '.join(EVENT_COLUMNS)} FROM loaded WHERE false"

    written = write_copy_file(duck, query, path)
    with psycopg.connect(warehouse_url) as conn:
        copy_in(conn, "clickstream_events", EVENT_COLUMNS, path)
        stored = conn.execute("SELECT count(*) FROM clickstream_events").fetchone()

    assert written == 0
    assert path.stat().st_size > 0  # header and trailer: a valid, empty COPY file
    assert stored == (0,)


def _events_copy(conn: psycopg.Connection) -> None:
    conn.execute("CREATE TABLE events_copy (LIKE clickstream_events INCLUDING ALL)")
    conn.commit()


def test_copy_query_casts_each_column_to_its_type_in_the_table(
    duck: duckdb.DuckDBPyConnection, warehouse_url: str
) -> None:
    # BIGINT and DOUBLE where the table has integer and numeric(14, 2): cast, not misread.
    columns = ", ".join(
        "CAST(context_product_quantity AS BIGINT) AS context_product_quantity"
        if c == "context_product_quantity"
        else "CAST(order_total AS DOUBLE) AS order_total"
        if c == "order_total"
        else c
        for c in EVENT_COLUMNS
    )
    with psycopg.connect(warehouse_url) as conn:
        _events_copy(conn)
        sent = copy_query(conn, "events_copy", EVENT_COLUMNS, duck, f"SELECT {columns} FROM loaded")
        stored = conn.execute(
            "SELECT event_id, context_product_quantity, order_total FROM events_copy"
        ).fetchall()
    wanted = duck.sql("SELECT event_id, context_product_quantity, order_total FROM loaded")

    assert sent == len(EDGE_EVENTS)
    assert sorted(stored, key=str) == sorted(wanted.fetchall(), key=str)
    assert {row[1] for row in stored} >= {2_147_483_647, 0}


def test_copy_query_of_a_value_the_column_cannot_hold_raises_and_stores_nothing(
    duck: duckdb.DuckDBPyConnection, warehouse_url: str
) -> None:
    columns = ", ".join(
        "CAST(2147483648 AS BIGINT) AS context_product_quantity"
        if c == "context_product_quantity"
        else c
        for c in EVENT_COLUMNS
    )
    with psycopg.connect(warehouse_url) as conn:
        _events_copy(conn)
        with pytest.raises(duckdb.ConversionException, match="2147483648"):
            copy_query(conn, "events_copy", EVENT_COLUMNS, duck, f"SELECT {columns} FROM loaded")
        conn.rollback()
        stored = conn.execute("SELECT count(*) FROM events_copy").fetchone()

    assert stored == (0,)


def test_duckdb_types_reads_the_catalog_and_names_a_column_it_cannot_write(
    warehouse_url: str,
) -> None:
    with psycopg.connect(warehouse_url) as conn:
        conn.execute("CREATE TABLE odd (day date, revenue numeric(16, 2), spot point)")
        with pytest.raises(UnsupportedColumnType, match=r"odd\.spot is point"):
            duckdb_types(conn, "odd")
        types = duckdb_types(conn, "event_ids")

    assert types == {
        "event_id": "UUID",
        "event_timestamp": "TIMESTAMPTZ",
        "source_file": "VARCHAR",
        "payload_hash": "UUID",
    }
