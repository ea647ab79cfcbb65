"""Derive one day in DuckDB: its events in, sessions and roll-ups out, replaced in PostgreSQL.

PostgreSQL does what it is quick at (reading the day's stored events out with COPY, deleting
the day's old derived rows, COPYing the new ones in); DuckDB does the grouping and ordering
(`derive.sql`), which took PostgreSQL most of the derive's time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future
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
    # The largest COPY after the sessions' (a row per session and step): computed first, so
    # that PostgreSQL writes it while DuckDB computes the rest (see `compute_day`).
    "session_steps",
    "product_daily",
    "page_daily",
    "traffic_daily",
    "goal_daily",
    "event_daily",
    "event_property_daily",
    # Retention and journeys (0095).
    "day_visits",
    "visitor_activity_daily",
    "entry_exit_daily",
    "journey_daily",
)
# Each derived table with its columns, in the order `derive.sql` writes them.
DERIVED_TABLES = schema.DERIVED_TABLES
# The order `compute_day` writes the tables' files in (and `replace_day` COPYs them).
WRITE_ORDER = tuple(step for step in STEPS + ROLL_UPS if step in DERIVED_TABLES)
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
    """One day's derived rows, computed and written as one binary COPY file per derived table
    (in the order `replace_day` COPYs them)."""

    day: date
    files: Mapping[str, Path]


class PendingFiles(Mapping[str, Path]):
    """A day's COPY files as another thread writes them, table by table: reading one waits
    until it is written, or raises the error that stopped the writer."""

    def __init__(self) -> None:
        self._files: dict[str, Future[Path]] = {table: Future() for table in WRITE_ORDER}

    def __getitem__(self, table: str) -> Path:
        return self._files[table].result()

    def __contains__(self, table: object) -> bool:
        # Mapping's own would read the file (and wait for, or raise, the writer's outcome).
        return table in self._files

    def __iter__(self) -> Iterator[str]:
        return iter(self._files)

    def __len__(self) -> int:
        return len(self._files)

    def written(self, table: str, path: Path) -> None:
        """`table`'s file is complete at `path`."""
        self._files[table].set_result(path)

    def failed(self, error: BaseException) -> None:
        """No more file will be written: every table still waited for raises `error`."""
        for future in self._files.values():
            if not future.done():
                future.set_exception(error)


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
    """Fresh days derived ahead from the run's rows alone, and the files they came from.

    The days' files may still be being written (`PendingFiles`): replacing a day COPYs each
    table as soon as its file is complete.
    """

    run_files: tuple[Path, ...]
    days: dict[date, DayOutputs]
    goals: tuple[Goal, ...] = ()


def precompute_days(
    duck: duckdb.DuckDBPyConnection,
    rows: RunRows,
    workdir: Path,
    types: DerivedTypes,
    goals: Sequence[Goal] = (),
    started: Callable[[Precomputed], None] | None = None,
) -> Precomputed:
    """Derive every day of the run's rows from those rows alone, ahead of the commits.

    Done while PostgreSQL still loads the last batches. A day counts only if no earlier run
    had stored events in it and exactly these files were committed (see `derive_days`).
    `started` is handed the days before any is computed, their files pending: another thread
    can COPY each table into PostgreSQL while DuckDB computes the next.
    """
    workdir.mkdir(exist_ok=True)
    found = sorted(set().union(*rows.days_of.values()))
    pending = {day: PendingFiles() for day in found}
    ahead = Precomputed(
        tuple(rows.files), {day: DayOutputs(day, pending[day]) for day in found}, tuple(goals)
    )
    if started is not None:
        started(ahead)
    try:
        for day in found:
            files = rows.files_for(day)
            compute_day(duck, day, workdir, None, files, types, goals, pending[day].written)
        duck.execute("DROP TABLE IF EXISTS day_events")
    except BaseException as exc:
        for files_of_day in pending.values():
            files_of_day.failed(exc)
        raise
    return ahead


def compute_day(
    duck: duckdb.DuckDBPyConnection,
    day: date,
    workdir: Path,
    stored: Path | None,
    run_files: Sequence[Path],
    types: DerivedTypes,
    goals: Sequence[Goal] = (),
    written: Callable[[str, Path], None] | None = None,
) -> DayOutputs:
    """Sessions and roll-ups of `day` from its stored events (a CSV file from PostgreSQL)
    and this run's rows (Parquet files), written as binary COPY files for `replace_day`.

    Each table's file is written as soon as its statement has run, and `written` is told.
    """
    start = datetime.combine(day, time(), tzinfo=UTC)
    sources = [_read_stored(stored)] if stored is not None else []
    if run_files:
        sources.append(_read_run_rows(run_files, start))
    duck.execute("CREATE OR REPLACE TEMP VIEW derive_input AS " + " UNION ALL ".join(sources))
    _load_goals(duck, goals)
    statements = named(SQL_PACKAGE, "derive.sql")
    files = {}
    for step in STEPS + ROLL_UPS:
        duck.execute(statements[step])
        if step not in DERIVED_TABLES:
            continue
        files[step] = workdir / f"{step}-{day:%Y%m%d}{SUFFIX}"
        # DuckDB sorts text by bytes, as the warehouse's C.UTF-8 collation does; under another
        # collation the order is merely close to the index's, which is still correct.
        query = (
            f"SELECT {cast_columns(DERIVED_TABLES[step], types[step])} FROM out_{step} "
            f"ORDER BY {', '.join(PRIMARY_KEYS[step])}"
        )
        write_copy_file(duck, query, files[step])
        if written is not None:
            written(step, files[step])
    duck.execute("DROP VIEW derive_input")
    return DayOutputs(day, files)


def replace_day(conn: psycopg.Connection, outputs: DayOutputs) -> None:
    """Delete the day's derived rows and COPY the computed ones in (the caller's transaction),
    table by table in the order of `outputs.files` (each as soon as its file is complete)."""
    for table in outputs.files:
        conn.execute(
            sql.SQL("DELETE FROM {} WHERE day = %s").format(sql.Identifier(table)), (outputs.day,)
        )
        copy_in(conn, table, DERIVED_TABLES[table], outputs.files[table])


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
