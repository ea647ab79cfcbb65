"""Run-scoped staging tables that Spark's partitions COPY into, and the one move out of them.

Each partition of a Spark output COPYs its rows (binary COPY of text columns, encoded from
Arrow by pgpq, as `etl/copy.py` does) into an unlogged table named after the run, in its own
short transaction that first deletes what an earlier attempt of the same partition left, so a
retried task stores its rows once. Nothing in a staging table is visible in the warehouse: the
driver then moves every staged row into the real tables in one transaction with the manifest,
the ledger and the dirty days, and drops the staging tables in it. A run killed before that
commit leaves only staging tables, which the next run drops (`drop_stale`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import psycopg
import pyarrow
from psycopg import sql

from clickstream.etl.copy import copy_chunks
from clickstream.warehouse import schema

PREFIX = "etl_stage_"
STALE = "SELECT relname FROM pg_class WHERE relkind = 'r' AND relname LIKE 'etl\\_stage\\_%'"
# One partition's attempts take turns; a retry replaces what the one before it staged.
PART_LOCK = "SELECT pg_advisory_xact_lock(hashtext(%s), %s)"

ID_SOURCES = schema.ID_COLUMNS
QUARANTINE_SOURCES = ("source_file", "line_number", "reason", "raw", "kind", "event_id")


def table_name(run_id: int, name: str) -> str:
    """The staging table `name` of run `run_id` (built from an integer and our own names)."""
    return f"{PREFIX}{int(run_id)}_{name}"


def drop_stale(conn: psycopg.Connection) -> list[str]:
    """Drop staging tables left by runs that died (called under the ETL lock)."""
    names = [row[0] for row in conn.execute(STALE).fetchall()]
    for name in names:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(name)))
    return names


def create(conn: psycopg.Connection, table: str, columns: Sequence[str]) -> None:
    """An unlogged staging table of text columns (and the partition that staged each row)."""
    conn.execute(
        sql.SQL("CREATE UNLOGGED TABLE {} (part integer NOT NULL, {})").format(
            sql.Identifier(table),
            sql.SQL(", ").join(sql.SQL("{} text").format(sql.Identifier(c)) for c in columns),
        )
    )


def drop(conn: psycopg.Connection, tables: Sequence[str]) -> None:
    """Drop `tables` (inside the move's transaction)."""
    for table in tables:
        conn.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table)))


def partition_copier(
    warehouse_url: str, table: str, columns: Sequence[str]
) -> Callable[[Iterator[pyarrow.RecordBatch]], Iterator[pyarrow.RecordBatch]]:
    """A `mapInArrow` function: COPY one partition's rows into `table`, yield how many."""
    columns = tuple(columns)

    def copy_partition(batches: Iterator[pyarrow.RecordBatch]) -> Iterator[pyarrow.RecordBatch]:
        import pgpq
        from pyspark import TaskContext

        context = TaskContext.get()
        part = context.partitionId() if context is not None else 0
        first = next(batches, None)
        stored = 0
        if first is not None:
            encoder = pgpq.ArrowToPostgresBinaryEncoder(_with_part(first, part).schema)

            def chunks() -> Iterator[bytes]:
                yield encoder.write_header()
                yield encoder.write_batch(_with_part(first, part))
                for batch in batches:
                    yield encoder.write_batch(_with_part(batch, part))
                yield encoder.finish()

            with psycopg.connect(warehouse_url, connect_timeout=10) as conn:
                conn.execute(PART_LOCK, (table, part))
                conn.execute(
                    sql.SQL("DELETE FROM {} WHERE part = %s").format(sql.Identifier(table)),
                    (part,),
                )
                stored = copy_chunks(conn, table, ("part", *columns), chunks(), binary=True)
        yield pyarrow.RecordBatch.from_pydict({"rows": [stored]})

    return copy_partition


def _with_part(batch: pyarrow.RecordBatch, part: int) -> pyarrow.RecordBatch:
    columns = [pyarrow.array([part] * batch.num_rows, pyarrow.int32()), *batch.columns]
    return pyarrow.RecordBatch.from_arrays(columns, names=["part", *batch.schema.names])


def cast_list(table: schema.Table, columns: Sequence[str]) -> sql.Composed:
    """`columns` of a staging table cast to their types in `table`."""
    types = {c.name: c.type for c in table.columns}
    return sql.SQL(", ").join(
        sql.SQL("{}::{}").format(sql.Identifier(c), sql.SQL(types[c])) for c in columns
    )


def staged_count(conn: psycopg.Connection, table: str) -> int:
    """How many rows `table` holds."""
    row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
    return int(row[0]) if row else 0
