"""Daily range partitions of `clickstream_events` and `event_items`, created on demand; a
default partition for the rest."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

import psycopg
from psycopg import sql

# Daily partitions are made for this span; anything else falls into the default partition.
FIRST_PARTITION_DAY = date(2000, 1, 1)
LAST_PARTITION_DAY = date(2099, 12, 31)
EVENTS = "clickstream_events"
ITEMS = "event_items"  # an event's lines, partitioned exactly as the events are
PARTITIONED = (EVENTS, ITEMS)


def partition_name(day: date, table: str = EVENTS) -> str:
    """`clickstream_events_YYYYMMDD` (or `table`'s); built from a date and one of our table
    names, never from input text."""
    if table not in PARTITIONED:
        raise ValueError(f"{table} is not a partitioned table")
    return f"{table}_{day:%Y%m%d}"


def partition_for(day: date, table: str = EVENTS) -> str:
    """Where `day`'s rows are COPYed once `ensure_partitions` ran: straight into the day's
    partition (sparing PostgreSQL the routing), or through the parent into the default one."""
    if FIRST_PARTITION_DAY <= day <= LAST_PARTITION_DAY:
        return partition_name(day, table)
    return table


def ensure_partitions(conn: psycopg.Connection, days: Iterable[date]) -> None:
    """Create the daily partitions `days` need (of the events and of their items), moving any
    of their rows out of the default."""
    wanted = sorted(set(days))
    for table in PARTITIONED:
        _ensure(conn, table, wanted)


def _ensure(conn: psycopg.Connection, table: str, days: list[date]) -> None:
    existing = {
        row[0]
        for row in conn.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            (table,),
        )
    }
    for day in days:
        name = partition_name(day, table)
        if name in existing or not FIRST_PARTITION_DAY <= day <= LAST_PARTITION_DAY:
            continue
        start, end = day, day + timedelta(days=1)
        stranded = conn.execute(
            sql.SQL(
                "SELECT count(*) FROM {} WHERE event_timestamp >= %s AND event_timestamp < %s"
            ).format(sql.Identifier(f"{table}_default")),
            (start, end),
        ).fetchone()
        if stranded and stranded[0]:
            _move_out_of_default(conn, table, name, start, end)
            continue
        conn.execute(
            sql.SQL("CREATE TABLE {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})").format(
                sql.Identifier(name),
                sql.Identifier(table),
                sql.Literal(str(start)),
                sql.Literal(str(end)),
            )
        )


def _move_out_of_default(
    conn: psycopg.Connection, table: str, name: str, start: date, end: date
) -> None:
    default = sql.Identifier(f"{table}_default")
    conn.execute(
        sql.SQL(
            "CREATE TEMP TABLE moving ON COMMIT DROP AS SELECT * FROM {} "
            "WHERE event_timestamp >= {} AND event_timestamp < {}"
        ).format(default, sql.Literal(str(start)), sql.Literal(str(end)))
    )
    conn.execute(
        sql.SQL("DELETE FROM {} WHERE event_timestamp >= %s AND event_timestamp < %s").format(
            default
        ),
        (start, end),
    )
    conn.execute(
        sql.SQL("CREATE TABLE {} PARTITION OF {} FOR VALUES FROM ({}) TO ({})").format(
            sql.Identifier(name),
            sql.Identifier(table),
            sql.Literal(str(start)),
            sql.Literal(str(end)),
        )
    )
    conn.execute(sql.SQL("INSERT INTO {} SELECT * FROM moving").format(sql.Identifier(table)))
    conn.execute("DROP TABLE moving")


def drop_daily_partitions(conn: psycopg.Connection) -> int:
    """Drop every daily partition of the events and their items (for a rebuild); the default
    partitions stay. Returns how many event partitions there were."""
    dropped = 0
    for table in PARTITIONED:
        names = [
            row[0]
            for row in conn.execute(
                "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                "WHERE i.inhparent = %s::regclass AND c.relname <> %s",
                (table, f"{table}_default"),
            )
        ]
        prefix = f"{table}_"
        for name in names:
            if name.startswith(prefix) and name[len(prefix) :].isdigit():
                conn.execute(sql.SQL("DROP TABLE {}").format(sql.Identifier(name)))
        if table == EVENTS:
            dropped = len(names)
    return dropped
