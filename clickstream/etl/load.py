"""Load one lake file's rows into PostgreSQL in one transaction with its manifest row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg
from psycopg import sql

from clickstream.etl.transform import COLUMNS, FileBatch

# Daily partitions are made for this span; anything else falls into the default partition.
FIRST_PARTITION_DAY = date(2000, 1, 1)
LAST_PARTITION_DAY = date(2099, 12, 31)


@dataclass(frozen=True)
class FileLedger:
    """Counts for one loaded file; `received = loaded + duplicates + rejected`."""

    received: int
    loaded: int
    duplicates: int
    rejected: int


def partition_name(day: date) -> str:
    """`clickstream_events_YYYYMMDD`; the name is built from a date, never from input text."""
    return f"clickstream_events_{day:%Y%m%d}"


def ensure_partitions(conn: psycopg.Connection, days: set[date]) -> None:
    """Create the daily partitions `days` need, moving any of their rows out of the default."""
    existing = {
        row[0]
        for row in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'clickstream_events'::regclass"
        )
    }
    for day in sorted(days):
        name = partition_name(day)
        if name in existing or not FIRST_PARTITION_DAY <= day <= LAST_PARTITION_DAY:
            continue
        start, end = day, day + timedelta(days=1)
        stranded = conn.execute(
            "SELECT count(*) FROM clickstream_events_default "
            "WHERE event_timestamp >= %s AND event_timestamp < %s",
            (start, end),
        ).fetchone()
        if stranded and stranded[0]:
            _move_out_of_default(conn, name, start, end)
            continue
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} PARTITION OF clickstream_events FOR VALUES FROM ({}) TO ({})"
            ).format(sql.Identifier(name), sql.Literal(str(start)), sql.Literal(str(end)))
        )


def _move_out_of_default(conn: psycopg.Connection, name: str, start: date, end: date) -> None:
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE moving ON COMMIT DROP AS SELECT * FROM clickstream_events_default "
            "WHERE event_timestamp >= {} AND event_timestamp < {}"
        ).format(sql.Literal(str(start)), sql.Literal(str(end)))
    )
    conn.execute(
        "DELETE FROM clickstream_events_default "
        "WHERE event_timestamp >= %s AND event_timestamp < %s",
        (start, end),
    )
    conn.execute(
        sql.SQL(
            "CREATE TABLE {} PARTITION OF clickstream_events FOR VALUES FROM ({}) TO ({})"
        ).format(sql.Identifier(name), sql.Literal(str(start)), sql.Literal(str(end)))
    )
    conn.execute("INSERT INTO clickstream_events SELECT * FROM moving")
    conn.execute("DROP TABLE moving")


def load_file(
    conn: psycopg.Connection, run_id: int, key: str, size: int, batch: FileBatch
) -> FileLedger:
    """Copy `batch` into the warehouse with its manifest row; the caller owns the transaction."""
    days = {row[1].date() for row in batch.rows if isinstance(row[1], datetime)}
    ensure_partitions(conn, days)
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS staged_events "
        "(LIKE clickstream_events INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )
    columns = sql.SQL(", ").join(sql.Identifier(c) for c in COLUMNS)
    with conn.cursor() as cur:
        copy_sql = sql.SQL("COPY staged_events ({}) FROM STDIN").format(columns)
        with cur.copy(copy_sql) as copy:
            for row in batch.rows:
                copy.write_row(row)
        # A repeat inside the file or one seen before is a duplicate: keep the first only.
        cur.execute(
            sql.SQL(
                """WITH fresh AS (
                       INSERT INTO event_ids (event_id, event_timestamp, source_file)
                       SELECT DISTINCT ON (event_id) event_id, event_timestamp, source_file
                       FROM staged_events ORDER BY event_id, received_at
                       ON CONFLICT (event_id) DO NOTHING
                       RETURNING event_id)
                   INSERT INTO clickstream_events ({cols}, etl_run_id)
                   SELECT DISTINCT ON (s.event_id) {scols}, %s
                   FROM staged_events s JOIN fresh f USING (event_id)
                   ORDER BY s.event_id, s.received_at"""
            ).format(
                cols=columns,
                scols=sql.SQL(", ").join(sql.Identifier("s", c) for c in COLUMNS),
            ),
            (run_id,),
        )
        loaded = cur.rowcount
        if batch.rejections:
            cur.executemany(
                "INSERT INTO etl_quarantine (run_id, source_file, line_number, reason, raw) "
                "VALUES (%s, %s, %s, %s, %s)",
                [(run_id, key, r.line_number, r.reason, r.raw) for r in batch.rejections],
            )
    ledger = FileLedger(
        received=batch.received,
        loaded=loaded,
        duplicates=len(batch.rows) - loaded,
        rejected=len(batch.rejections),
    )
    conn.execute(
        "INSERT INTO lake_manifest "
        "(object_key, size_bytes, run_id, received, loaded, duplicates, rejected) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (key, size, run_id, ledger.received, ledger.loaded, ledger.duplicates, ledger.rejected),
    )
    return ledger
