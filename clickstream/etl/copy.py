"""Every COPY of the ETL: files and streams in and out of PostgreSQL, binary or CSV.

A DuckDB query's rows go into PostgreSQL in its binary COPY format, streamed (`copy_query`)
or as a file (`write_copy_file`, named `*.pgcopy`); any other file is CSV. PostgreSQL parses
binary COPY with far less work than CSV: uuids, timestamps and numbers arrive as their stored
bytes, not as text to parse. A batch of events loads in about 60% of the backend time its CSV
takes, at no extra cost on our side (DuckDB hands Arrow batches to pgpq's encoder, instead of
writing CSV). Python never touches a row: bytes move in chunks.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable, Iterator, Mapping, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import duckdb
import pgpq
import psycopg
import pyarrow
from pgpq import encoders, schema
from psycopg import sql

if TYPE_CHECKING:
    from pgpq._pgpq import EncoderBuilder

__all__ = [
    "SUFFIX",
    "cast_columns",
    "copy_chunks",
    "copy_in",
    "copy_out",
    "copy_query",
    "duckdb_types",
    "write_copy_file",
]

SUFFIX = ".pgcopy"  # a file in PostgreSQL's binary COPY format; any other name is CSV
CHUNK = 1 << 20  # bytes read from a file per write into COPY
# Rows per Arrow batch: a batch's encoded bytes (about 500 per event) stay a few MB.
BATCH_ROWS = 16_384
# A binary COPY file must hold each column in exactly its table's type; these are the
# PostgreSQL types our tables use, as DuckDB names them (numeric(p, s) is matched apart).
DUCKDB_TYPE_OF = {
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "smallint": "SMALLINT",
    "double precision": "DOUBLE",
    "real": "FLOAT",
    "text": "VARCHAR",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "timestamp with time zone": "TIMESTAMPTZ",
    "uuid": "UUID",
    "jsonb": "JSON",
}
NUMERIC = re.compile(r"numeric\((\d+),(\d+)\)")
COLUMN_TYPES = """
SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = quote_ident(%s)::regclass AND attnum > 0 AND NOT attisdropped
"""


class UnsupportedColumnType(ValueError):
    """A table has a column type that binary COPY files are not written for here."""


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
    """`COPY table (columns) FROM` the file at `path` (binary if named `*.pgcopy`, else CSV)."""
    with path.open("rb") as source:
        copy_chunks(conn, table, columns, _read(source), path.suffix == SUFFIX)


def copy_out(conn: psycopg.Connection, query: str | sql.Composable, path: Path) -> None:
    """Write the result of `query` (one of our constants, or composed from them) to `path`
    (binary if named `*.pgcopy`, else CSV)."""
    inner = query if isinstance(query, sql.Composable) else sql.SQL(query)  # type: ignore[arg-type]
    statement = sql.SQL("COPY ({}) TO STDOUT (FORMAT {})").format(
        inner, _format(path.suffix == SUFFIX)
    )
    with conn.cursor() as cur, cur.copy(statement) as copy, path.open("wb") as target:
        for chunk in copy:
            target.write(chunk)


def duckdb_types(conn: psycopg.Connection, table: str) -> dict[str, str]:
    """The columns of `table` (one of ours) with their PostgreSQL types as DuckDB names them."""
    found = {}
    for column, pg_type in conn.execute(COLUMN_TYPES, (table,)).fetchall():
        numeric = NUMERIC.fullmatch(pg_type.replace(" ", ""))
        if numeric:
            found[column] = f"DECIMAL({numeric[1]}, {numeric[2]})"
        elif pg_type in DUCKDB_TYPE_OF:
            found[column] = DUCKDB_TYPE_OF[pg_type]
        else:
            raise UnsupportedColumnType(f"{table}.{column} is {pg_type}")
    return found


def cast_columns(columns: Sequence[str], types: Mapping[str, str]) -> str:
    """A select list casting each of `columns` (our own names) to its type in `types`."""
    return ", ".join(f"CAST({_quoted(c)} AS {types[c]}) AS {_quoted(c)}" for c in columns)


def write_copy_file(con: duckdb.DuckDBPyConnection, query: str, path: Path) -> int:
    """Write the rows of `query` (one of our statements) to `path`; return how many."""
    rows = 0
    with path.open("wb") as target, closing(_encoded(con, query)) as chunks:
        for chunk, count in chunks:
            target.write(chunk)
            rows += count
    return rows


def copy_query(
    conn: psycopg.Connection,
    table: str,
    columns: Sequence[str],
    con: duckdb.DuckDBPyConnection,
    query: str,
) -> int:
    """COPY the rows of DuckDB `query` into `table` as they are encoded (no file between).

    The columns of `query` must be named `columns`; each is cast to its type in the table, so
    a type the transform changed cannot reach PostgreSQL as bytes of another type. Names come
    from our own constants. Returns how many rows PostgreSQL stored.
    """
    types = duckdb_types(conn, table)
    query = f"SELECT {cast_columns(columns, types)} FROM ({query})"
    # closing(): if the COPY fails midway, the Arrow reader is closed at once, which frees the
    # DuckDB connection for its next statement.
    with closing(_encoded(con, query)) as chunks:
        return copy_chunks(conn, table, columns, (chunk for chunk, _ in chunks), binary=True)


def _format(binary: bool) -> sql.SQL:
    return sql.SQL("binary" if binary else "csv")


def _read(source: BinaryIO) -> Iterator[bytes]:
    while chunk := source.read(CHUNK):
        yield chunk


def _encoded(con: duckdb.DuckDBPyConnection, query: str) -> Generator[tuple[bytes, int]]:
    """The binary COPY stream of `query`'s rows, in chunks, each with its number of rows."""
    relation = con.sql(_binary_ready(con, query))
    json_columns = {
        name for name, kind in zip(relation.columns, relation.types, strict=True) if kind == "JSON"
    }
    # Closing the reader ends the query, so the connection can run the next statement.
    with relation.to_arrow_reader(BATCH_ROWS) as reader:
        encoder = pgpq.ArrowToPostgresBinaryEncoder.new_with_encoders(
            reader.schema, {field.name: _encoder(field, json_columns) for field in reader.schema}
        )
        yield encoder.write_header(), 0
        for batch in reader:
            yield encoder.write_batch(batch), batch.num_rows
        yield encoder.finish(), 0


def _binary_ready(con: duckdb.DuckDBPyConnection, query: str) -> str:
    # Arrow has no uuid type (DuckDB exports the text); a uuid's 16 bytes as a BLOB are
    # exactly what PostgreSQL's binary uuid input reads.
    relation = con.sql(query)
    if "UUID" not in relation.types:
        return query
    columns = []
    for name, kind in zip(relation.columns, relation.types, strict=True):
        columns.append(
            f"CAST({_quoted(name)} AS BLOB) AS {_quoted(name)}" if kind == "UUID" else _quoted(name)
        )
    return f"SELECT {', '.join(columns)} FROM ({query})"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _encoder(field: pyarrow.Field, json_columns: set[str]) -> EncoderBuilder:
    if field.name in json_columns:
        return encoders.StringEncoderBuilder.new_with_output(field, schema.Jsonb())
    return pgpq.ArrowToPostgresBinaryEncoder.infer_encoder(field)
