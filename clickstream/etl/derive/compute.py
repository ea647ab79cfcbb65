"""Derive one day in DuckDB: its events in, sessions and roll-ups out, replaced in PostgreSQL.

PostgreSQL does what it is quick at (reading the day's stored events out with COPY, deleting
the day's old derived rows, COPYing the new ones in); DuckDB does the grouping and ordering
(`derive.sql`), which took PostgreSQL most of the derive's time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path

import duckdb
import psycopg
from psycopg import sql

from clickstream.etl.copy import (
    SUFFIX,
    cast_columns,
    copy_in,
    copy_out,
    duckdb_types,
    write_copy_file,
)
from clickstream.etl.derive.run_rows import DERIVE_COLUMNS, RunRows
from clickstream.sqlfiles import named
from clickstream.warehouse import schema
from clickstream.warehouse.goals import Goal

SQL_PACKAGE = "clickstream.etl.derive"
STEPS = (
    "day_events",
    "day_lines",
    "purchase_revenue",
    "sessions",
    "visitor_daily",
    "daily_kpis",
    "funnel_daily",
)
ROLL_UPS = (
    "product_daily",
    "page_daily",
    "traffic_daily",
    "goal_daily",
    "event_daily",
    "event_property_daily",
    "session_steps",
    # Retention and journeys (0095).
    "day_visits",
    "visitor_activity_daily",
    "entry_exit_daily",
    "journey_daily",
)
# Each derived table with its columns, in the order `derive.sql` writes them.
DERIVED_TABLES = schema.DERIVED_TABLES
# Each derived table's primary key. The COPY files list rows in key order: PostgreSQL then
# appends to the right edge of the key's index instead of inserting all over it (COPYing a
# day's 125,000 sessions took a third less backend CPU in key order than in hash order).
PRIMARY_KEYS = schema.PRIMARY_KEYS
# The stored events of one day, [start, end); with a run id, only those other runs stored.
# Each event's lines come from `event_items` as the JSON array the transform made of them.
STORED_EVENTS = sql.SQL(
    "SELECT {columns}, i.items FROM clickstream_events "
    "LEFT JOIN (SELECT event_id, jsonb_agg(jsonb_build_object('id', item_id, 'name', name, "
    "'category', category, 'brand', brand, 'variant', variant, 'price', price, "
    "'discount_price', discount_price, 'quantity', quantity) ORDER BY line) AS items "
    "FROM event_items "
    "WHERE event_timestamp >= {start} AND event_timestamp < {start} + interval '24 hours' "
    "GROUP BY event_id) AS i USING (event_id) "
    "WHERE event_timestamp >= {start} AND event_timestamp < {start} + interval '24 hours'"
)
NOT_FROM_RUN = sql.SQL(" AND etl_run_id IS DISTINCT FROM {run_id}")
# How DuckDB reads PostgreSQL's CSV: typed columns, and "" is an empty string, not NULL.
DUCK_TYPES = {
    "event_id": "UUID",
    "event_timestamp": "TIMESTAMPTZ",
    "is_first_visit": "BOOLEAN",
    "is_bot": "BOOLEAN",
    "order_total": "DECIMAL(14, 2)",
    "context_product_price": "DECIMAL(14, 2)",
    "context_product_discount_price": "DECIMAL(14, 2)",
    "context_product_quantity": "INTEGER",
}


# The goals as `derive.sql` reads them (see `_load_goals`).
GOAL_DEFINITIONS = (
    "CREATE OR REPLACE TEMP TABLE goal_definitions (name VARCHAR, event_name VARCHAR, "
    "path VARCHAR, path_match VARCHAR, property_pointer VARCHAR, property_value VARCHAR)"
)


# Per derived table, its columns' PostgreSQL types as DuckDB names them (see `derived_types`).
DerivedTypes = dict[str, dict[str, str]]


@dataclass(frozen=True)
class DayOutputs:
    """One day's derived rows, computed and written as one binary COPY file per derived table."""

    day: date
    files: dict[str, Path]


def derive_day(
    conn: psycopg.Connection,
    duck: duckdb.DuckDBPyConnection,
    day: date,
    workdir: Path,
    rows: RunRows | None = None,
    types: DerivedTypes | None = None,
    goals: Sequence[Goal] = (),
) -> None:
    """Replace every derived row of `day` with rows computed from that day's events
    (and `goals`, the goal definitions, for `goal_daily`)."""
    run_files = rows.files_for(day) if rows is not None else []
    stored = None
    if rows is None or day not in rows.fresh or not run_files:
        start = datetime.combine(day, time(), tzinfo=UTC)
        stored = workdir / f"stored-{day:%Y%m%d}.csv"
        copy_out(conn, _stored_query(start, rows), stored)
    outputs = compute_day(
        duck, day, workdir, stored, run_files, types or derived_types(conn), goals
    )
    replace_day(conn, outputs)
    for path in (stored, *outputs.files.values()):
        if path is not None:
            path.unlink()


@dataclass(frozen=True)
class Precomputed:
    """Fresh days derived ahead from the run's rows alone, and the files they came from."""

    run_files: tuple[Path, ...]
    days: dict[date, DayOutputs]
    goals: tuple[Goal, ...] = ()


def precompute_days(
    duck: duckdb.DuckDBPyConnection,
    rows: RunRows,
    workdir: Path,
    types: DerivedTypes,
    goals: Sequence[Goal] = (),
) -> Precomputed:
    """Derive every day of the run's rows from those rows alone, ahead of the commits.

    Done while PostgreSQL still loads the last batches. A day counts only if no earlier run
    had stored events in it and exactly these files were committed (see `derive_days`).
    """
    workdir.mkdir(exist_ok=True)
    found = sorted(set().union(*rows.days_of.values()))
    days = {
        day: compute_day(duck, day, workdir, None, rows.files_for(day), types, goals)
        for day in found
    }
    duck.execute("DROP TABLE IF EXISTS day_events")
    return Precomputed(tuple(rows.files), days, tuple(goals))


def compute_day(
    duck: duckdb.DuckDBPyConnection,
    day: date,
    workdir: Path,
    stored: Path | None,
    run_files: Sequence[Path],
    types: DerivedTypes,
    goals: Sequence[Goal] = (),
) -> DayOutputs:
    """Sessions and roll-ups of `day` from its stored events (a CSV file from PostgreSQL)
    and this run's rows (Parquet files), written as binary COPY files for `replace_day`."""
    start = datetime.combine(day, time(), tzinfo=UTC)
    sources = [_read_stored(stored)] if stored is not None else []
    if run_files:
        sources.append(_read_run_rows(run_files, start))
    duck.execute("CREATE OR REPLACE TEMP VIEW derive_input AS " + " UNION ALL ".join(sources))
    _load_goals(duck, goals)
    statements = named(SQL_PACKAGE, "derive.sql")
    for step in STEPS + ROLL_UPS:
        duck.execute(statements[step])
    files = {}
    for table, columns in DERIVED_TABLES.items():
        files[table] = workdir / f"{table}-{day:%Y%m%d}{SUFFIX}"
        # DuckDB sorts text by bytes, as the warehouse's C.UTF-8 collation does; under another
        # collation the order is merely close to the index's, which is still correct.
        query = (
            f"SELECT {cast_columns(columns, types[table])} FROM out_{table} "
            f"ORDER BY {', '.join(PRIMARY_KEYS[table])}"
        )
        write_copy_file(duck, query, files[table])
    duck.execute("DROP VIEW derive_input")
    return DayOutputs(day, files)


def replace_day(conn: psycopg.Connection, outputs: DayOutputs) -> None:
    """Delete the day's derived rows and COPY the computed ones in (the caller's transaction)."""
    for table, columns in DERIVED_TABLES.items():
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE day = %s").format(sql.Identifier(table)), (outputs.day,)
        )
        copy_in(conn, table, columns, outputs.files[table])


def derived_types(conn: psycopg.Connection) -> DerivedTypes:
    """The derived tables' column types, which their binary COPY files must match."""
    return {table: duckdb_types(conn, table) for table in DERIVED_TABLES}


# A day's end is computed in SQL: in Python the day after 9999-12-31 does not exist.
def _stored_query(start: datetime, rows: RunRows | None) -> sql.Composed:
    query = STORED_EVENTS.format(
        columns=sql.SQL(", ").join(sql.Identifier(c) for c in schema.DERIVE_COLUMNS),
        start=sql.Literal(start),
    )
    if rows is not None:
        query += NOT_FROM_RUN.format(run_id=sql.Literal(rows.run_id))
    return query


def _load_goals(duck: duckdb.DuckDBPyConnection, goals: Sequence[Goal]) -> None:
    # The property is looked up by JSON pointer, in which "~" and "/" of a key are escaped.
    duck.execute(GOAL_DEFINITIONS)
    if goals:
        duck.executemany(
            "INSERT INTO goal_definitions VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    g.name,
                    g.event_name,
                    g.path,
                    g.path_match,
                    None
                    if g.property_key is None
                    else "/" + g.property_key.replace("~", "~0").replace("/", "~1"),
                    g.property_value,
                )
                for g in goals
            ],
        )


def _quoted(path: Path) -> str:
    # Paths are ours (a temporary folder); quotes doubled anyway.
    return "'" + str(path).replace("'", "''") + "'"


def _read_stored(path: Path) -> str:
    columns = ", ".join(f"'{c}': '{DUCK_TYPES.get(c, 'VARCHAR')}'" for c in DERIVE_COLUMNS)
    return (
        f"SELECT * FROM read_csv({_quoted(path)}, header = false, auto_detect = false, "
        f"delim = ',', quote = '\"', escape = '\"', allow_quoted_nulls = false, "
        f"columns = {{{columns}}})"
    )


def _read_run_rows(files: Sequence[Path], start: datetime) -> str:
    listed = ", ".join(_quoted(p) for p in files)
    columns = ", ".join(DERIVE_COLUMNS)
    return (
        f"SELECT {columns} FROM read_parquet([{listed}]) "
        f"WHERE event_timestamp >= '{start.isoformat()}'::TIMESTAMPTZ "
        f"AND event_timestamp < '{start.isoformat()}'::TIMESTAMPTZ + INTERVAL 24 HOUR"
    )
