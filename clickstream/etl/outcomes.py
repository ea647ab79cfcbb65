"""Each line's outcome, decided in DuckDB, and the `PreparedBatch` the loader writes.

`prepare` decides as if the warehouse held none of the batch's ids (the usual case, so the
worker thread does it while PostgreSQL loads the batch before); `settle` decides again once
the registry said which ids it already holds. Both write the batch's outputs: the rows to
insert (`loaded`, streamed into PostgreSQL by the loader), the derive's copy of them
(Parquet), and the quarantine rows (CSV), conflicts with their lake lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import duckdb

from clickstream.etl.batch import PreparedBatch
from clickstream.etl.conflicts import locate_conflict_lines
from clickstream.etl.derive.run_rows import DERIVE_COLUMNS
from clickstream.etl.extract import FetchedFile
from clickstream.etl.transform import statement
from clickstream.lake.store import LakeObject
from clickstream.warehouse.manifest import FileLedger

READ_KNOWN = (
    "INSERT INTO known SELECT * FROM read_csv(?, header = false, auto_detect = false, "
    "delim = ',', quote = '\"', columns = {'event_id': 'UUID', 'same_payload': 'BOOLEAN'})"
)
# The first lines of this batch's ids that an earlier batch of the run registers: resends
# (same payload hash) or conflicts, decided as `known` ids of the registry would be.
KNOWN_IN_RUN = (
    "INSERT INTO known SELECT c.event_id, c.payload_hash = e.payload_hash "
    "FROM ({candidates}) AS c JOIN read_parquet([{files}]) AS e USING (event_id)"
)
# The batch's ids to register (`PreparedBatch.ids`), as `_outputs` computed them.
BATCH_IDS = "SELECT event_id, event_timestamp, source_file, payload_hash FROM batch_ids"
QUARANTINE_COLUMNS = ("run_id", "source_file", "line_number", "reason", "raw", "kind", "event_id")


def prepare(
    con: duckdb.DuckDBPyConnection,
    number: int,
    files: Sequence[FetchedFile],
    directory: Path,
    run_id: int,
    direct: bool,
    earlier: Sequence[Path] = (),
    suffix: str = "",
    later: bool = False,
) -> PreparedBatch:
    """The batch `transform.read_batch` loaded into `con`, decided as if the warehouse held
    none of its ids but those the run's earlier batches register (`earlier`, their `id_file`s):
    the usual case, so the worker thread does this while PostgreSQL loads the batch before.

    A resend (or a conflicting version) of an event that an earlier batch of the same run
    holds is thus decided here, and the batch's ids go into the registry at the first try,
    instead of failing it and being settled against the registry on the main thread.

    With `later`, the derive's copy of the rows (`derive_rows`) is not written here but by
    `write_derive_rows`, which the caller must call before `con` changes the batch's tables.

    Raises `LinesNeeded` when a conflict of a batch read directly cannot be told apart from
    its lake line without the line-by-line path.
    """
    con.execute("DELETE FROM known")
    con.execute("DELETE FROM run_context")
    con.execute("INSERT INTO run_context VALUES (?)", (run_id,))
    if earlier:
        con.execute(
            KNOWN_IN_RUN.format(
                candidates=statement("candidate_ids"), files=", ".join(map(_quoted, earlier))
            )
        )
    con.execute(statement("final"))
    con.execute(statement("loaded"))
    keys = tuple(file.key for file in files)
    sizes = tuple(file.size for file in files)
    ids = "new_ids" if earlier else "candidate_ids"
    batch = _outputs(con, number, keys, sizes, directory, direct, ids, suffix, later)
    return replace(batch, checked_against=tuple(earlier))


def write_derive_rows(batch: PreparedBatch) -> None:
    """Write the derive's copy of the rows `batch` inserts (Parquet, at `batch.derive_rows`)."""
    _write_loaded(batch.con, batch.derive_rows)


def _write_loaded(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    _copy_out(con, f"SELECT {', '.join(DERIVE_COLUMNS)} FROM loaded", path, "parquet")


def settle(batch: PreparedBatch, known: Path) -> PreparedBatch:
    """`batch` decided again now that `known` (CSV of event_id, same_payload) lists the ids the
    warehouse already held: those lines are duplicates or conflicts, not rows to insert, and
    the batch's ids to register are only the others."""
    con = batch.con
    con.execute(READ_KNOWN, (str(known),))
    # Only the first line of an id can be `loaded`, and only while its id is not known; the
    # `loaded` view follows `final`.
    con.execute(statement("settle_final"))
    keys = tuple(obj.key for obj in batch.objects)
    sizes = tuple(obj.size for obj in batch.objects)
    # New file names: a derive computed ahead from the old file must not pass for current.
    settled = _outputs(
        con, batch.number, keys, sizes, batch.directory, batch.direct, "new_ids", "-known"
    )
    return replace(settled, checked_against=batch.checked_against)


def _outputs(
    con: duckdb.DuckDBPyConnection,
    number: int,
    keys: tuple[str, ...],
    sizes: tuple[int, ...],
    directory: Path,
    direct: bool,
    ids: str,
    suffix: str,
    later: bool = False,
) -> PreparedBatch:
    derive_rows = directory / f"derive{suffix}.parquet"
    if not later:
        _write_loaded(con, derive_rows)
    # The ids to register, computed once: the registry's COPY (`dedupe.claim_ids`) reads this
    # table, and so does the id file, what the run's later batches check their ids against
    # (`prepare`). Replaced only by this batch's `settle`, or by the batch after next, which
    # the worker prepares on this connection once this batch is committed.
    con.execute(f"CREATE OR REPLACE TEMP TABLE batch_ids AS {statement(ids)}")
    id_file = directory / f"ids{suffix}.parquet"
    _copy_out(con, "SELECT event_id, payload_hash FROM batch_ids", id_file, "parquet")
    files = _file_ledgers(con, keys, sizes)
    quarantine = None
    if any(f.rejected or f.conflicts for f in files):
        quarantine = directory / f"quarantine{suffix}.csv"
        _write_quarantine(con, quarantine, direct, any(f.conflicts for f in files))
    days = [row[0] for row in con.execute(statement("loaded_days")).fetchall()]
    item_days = [row[0] for row in con.execute(statement("item_days")).fetchall()]

    return PreparedBatch(
        number=number,
        objects=tuple(LakeObject(key, size) for key, size in zip(keys, sizes, strict=True)),
        direct=direct,
        con=con,
        directory=directory,
        ids=BATCH_IDS,
        rows_by_day=tuple(
            (day, statement("loaded_events").format(day=f"DATE '{day}'")) for day in days
        ),
        quarantine=quarantine,
        files=files,
        rejected_by_reason={
            str(reason): int(count)
            for reason, count in con.execute(statement("rejected_by_reason")).fetchall()
        },
        derive_rows=derive_rows,
        items_by_day=tuple(
            (day, statement("loaded_items").format(day=f"DATE '{day}'")) for day in item_days
        ),
        id_file=id_file,
    )


def _write_quarantine(
    con: duckdb.DuckDBPyConnection, path: Path, direct: bool, conflicts: bool
) -> None:
    """CSV of rejected lines and conflicting ones (each with its lake line) for the quarantine."""
    query = statement("quarantined_rejected")
    if conflicts:
        if direct:
            locate_conflict_lines(con)
        else:
            con.execute(statement("conflict_lines"))
        query += " UNION ALL " + statement("quarantined_conflicts")
    _copy_out(con, query, path, "csv, HEADER false")


def _file_ledgers(
    con: duckdb.DuckDBPyConnection, keys: Sequence[str], sizes: Sequence[int]
) -> tuple[FileLedger, ...]:
    """Counts per file, in batch order."""
    rows = {row[0]: row[1:] for row in con.execute(statement("file_ledger")).fetchall()}
    ledgers = []
    for number, (key, size) in enumerate(zip(keys, sizes, strict=True)):
        received, loaded, dups, conflicts, rejected, late = rows.get(number, (0,) * 6)
        ledgers.append(FileLedger(key, size, received, loaded, dups, conflicts, rejected, late))
    return tuple(ledgers)


def _copy_out(con: duckdb.DuckDBPyConnection, query: str, path: Path, options: str) -> None:
    con.execute(f"COPY ({query}) TO {_quoted(path)} (FORMAT {options})")


def _quoted(path: Path) -> str:
    # COPY TO and read_parquet take no parameters; paths are ours (a temporary folder), quotes
    # doubled anyway.
    return "'" + str(path).replace("'", "''") + "'"
