"""The one thing the transform hands the loader: a batch, prepared and immutable.

Everything about the batch is decided before PostgreSQL sees a byte of it: each line's
outcome, the rows to insert day by day, the ids to register, the quarantine rows (conflicts
with their lake lines), every file's counts and the derive's copy of the rows. The loader
only writes it; when the registry shows some ids were stored already, the batch is settled
into a new one (`outcomes.settle`) before it is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from clickstream.lake.store import LakeObject
from clickstream.warehouse.manifest import FileLedger


@dataclass(frozen=True)
class PreparedBatch:
    """A batch ready to write; its queries read tables of `con`, which no one changes after."""

    number: int
    objects: tuple[LakeObject, ...]
    direct: bool  # read by DuckDB from the files, not split line by line in the batch
    con: duckdb.DuckDBPyConnection
    directory: Path
    ids: str  # the query of the ids to register, in `ID_COLUMNS` order
    rows_by_day: tuple[tuple[date, str], ...]  # each UTC day with the query of its rows
    quarantine: Path | None  # CSV of `QUARANTINE_COLUMNS`: rejected and conflicting lines
    files: tuple[FileLedger, ...]
    rejected_by_reason: Mapping[str, int]
    derive_rows: Path  # Parquet: the derive's columns of the rows to insert
    # Each UTC day whose rows carry items, with the query of its `event_items` rows.
    items_by_day: tuple[tuple[date, str], ...] = ()
    # Parquet (event_id, payload_hash) of the ids it registers, for the run's later batches.
    id_file: Path | None = None
    # The `id_file`s of the run's earlier batches its ids were checked against as prepared;
    # the pipeline decides it again if those are not the ones committed.
    checked_against: tuple[Path, ...] = ()

    @property
    def days(self) -> list[date]:
        """The UTC days of the rows to insert."""
        return [day for day, _ in self.rows_by_day]
