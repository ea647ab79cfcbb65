"""Stream rows into and out of PostgreSQL with COPY, in chunks, without touching rows.

A file named `*.pgcopy` is in PostgreSQL's binary COPY format (see `pgcopy`), any other CSV.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import BinaryIO

import psycopg
from psycopg import sql

BINARY_SUFFIX = ".pgcopy"
CHUNK = 1 << 20


def copy_chunks(
    conn: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    chunks: Iterable[bytes],
    binary: bool,
) -> int:
    """`COPY table (columns) FROM` the bytes of `chunks` (binary COPY format, or CSV); names
    come from our own constants. Returns how many rows PostgreSQL stored."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT {})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(sql.Identifier(c) for c in columns),
        _format(binary),
    )
    with conn.cursor() as cur:
        with cur.copy(statement) as copy:
            for chunk in chunks:
                copy.write(chunk)
        return cur.rowcount


def copy_in(conn: psycopg.Connection, table: str, columns: Sequence[str], path: Path) -> None:
    """`COPY table (columns) FROM` the file at `path`."""
    with path.open("rb") as source:
        copy_chunks(conn, table, columns, _read(source), path.suffix == BINARY_SUFFIX)


def copy_out(conn: psycopg.Connection, query: str | sql.Composable, path: Path) -> None:
    """Write the result of `query` (one of our constants, or composed from them) to `path`."""
    inner = query if isinstance(query, sql.Composable) else sql.SQL(query)  # type: ignore[arg-type]
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT {})").format(
        inner, _format(path.suffix == BINARY_SUFFIX)
    )
    with conn.cursor() as cur, cur.copy(statement) as copy, path.open("wb") as target:
        for chunk in copy:
            target.write(chunk)


def _format(binary: bool) -> sql.SQL:
    return sql.SQL("binary" if binary else "csv")


def _read(source: BinaryIO) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk
