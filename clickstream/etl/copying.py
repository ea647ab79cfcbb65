"""Stream files into and out of PostgreSQL with COPY, in chunks, without touching rows."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import psycopg
from psycopg import sql

from clickstream.etl.pgcopy import SUFFIX as BINARY_SUFFIX

CHUNK = 1 << 20


def copy_in(conn: psycopg.Connection, table: str, columns: Sequence[str], path: Path) -> None:
    """`COPY table (columns) FROM` the file at `path`; names come from our own constants.

    A file named `*.pgcopy` is in PostgreSQL's binary COPY format (see `pgcopy`), any other CSV.
    """
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT {})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        sql.SQL("binary" if path.suffix == BINARY_SUFFIX else "csv"),
    )
    with conn.cursor() as cur, cur.copy(statement) as copy, path.open("rb") as source:
        while chunk := source.read(CHUNK):
            copy.write(chunk)


def copy_out(conn: psycopg.Connection, query: str | sql.Composable, path: Path) -> None:
    """Write the result of `query` (one of our constants, or composed from them) to `path`."""
    inner = query if isinstance(query, sql.Composable) else sql.SQL(query)  # type: ignore[arg-type]
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT csv)").format(inner)
    with conn.cursor() as cur, cur.copy(statement) as copy, path.open("wb") as target:
        for chunk in copy:
            target.write(chunk)
