"""Daily range partitions of `clickstream_events`, created on demand; a default for the rest."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import psycopg
from psycopg import sql

# Daily partitions are made for this span; anything else falls into the default partition.
FIRST_PARTITION_DAY = date(2000, 1, 1)
LAST_PARTITION_DAY = date(2099, 12, 31)


def partition_name(day: date) -> str:
    """`clickstream_events_YYYYMMDD`; the name is built from a date, never from input text."""
    return f"clickstream_events_{day:%Y%m%d}"


def partition_for(day: date) -> str:
    """Where `day`'s rows are COPYed once `ensure_partitions` ran: straight into the day's
    partition (sparing PostgreSQL the routing), or through the parent into the default one."""
    if FIRST_PARTITION_DAY <= day <= LAST_PARTITION_DAY:
        return partition_name(day)
    return "clickstream_events"


def ensure_partitions(conn: psycopg.Connection, days: Iterable[date]) -> None:
    """Create the daily partitions `days` need, moving any of their rows out of the default."""
    existing = {
        row[0]
        for row in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'clickstream_events'::regclass"
        )
    }
    for day in sorted(set(days)):
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


def drop_daily_partitions(conn: psycopg.Connection) -> int:
    """Drop every daily partition (for a rebuild); the default partition stays."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'clickstream_events'::regclass "
            "AND c.relname <> 'clickstream_events_default'"
        )
    ]
    for name in names:
        if name.startswith("clickstream_events_") and name[19:].isdigit():
            conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
    return len(names)
