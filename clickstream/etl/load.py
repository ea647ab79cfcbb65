"""Load one transformed batch into PostgreSQL: registry, rows, quarantine, manifest, ledger.

Everything happens in the caller's single transaction, so a crash at any point leaves all or
none of the batch's files: their rows, quarantine entries, manifest rows and ledger counts.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import psycopg

from clickstream.etl import dedupe, pgcopy
from clickstream.etl.copying import copy_in
from clickstream.etl.ledger import RunResult, record_batch
from clickstream.etl.partitions import ensure_partitions, partition_for
from clickstream.etl.transform import EVENT_COLUMNS, QUARANTINE_COLUMNS, BatchTransform

Step = Callable[[str], None]


class NeedsLines(RuntimeError):
    """A batch read directly must be redone line by line (to quarantine lake lines)."""


STAGE_QUARANTINE = """
CREATE TEMP TABLE IF NOT EXISTS staged_quarantine (
    run_id bigint, source_file text, line_number integer, reason text, raw text, kind text,
    event_id uuid
) ON COMMIT DELETE ROWS
"""
# A conflict keeps both versions: the lake line as `raw`, the stored row as `kept_version`.
QUARANTINE = """
INSERT INTO etl_quarantine (run_id, source_file, line_number, reason, raw, kind, event_id,
    kept_version)
SELECT q.run_id, q.source_file, q.line_number, q.reason, q.raw, q.kind, q.event_id,
    CASE WHEN q.kind = 'conflict' THEN (
        SELECT to_jsonb(e) FROM event_ids i JOIN clickstream_events e
            ON e.event_id = i.event_id AND e.event_timestamp = i.event_timestamp
        WHERE i.event_id = q.event_id) END
FROM staged_quarantine q
ORDER BY q.source_file, q.line_number
"""
MARK_DIRTY = "INSERT INTO etl_dirty_days (day) SELECT unnest(%s::date[]) ON CONFLICT DO NOTHING"


def load_batch(
    conn: psycopg.Connection,
    run_id: int,
    batch: BatchTransform,
    workdir: Path,
    total: RunResult,
    step: Step,
) -> RunResult:
    """Load `batch` inside the open transaction on `conn`; return the run's new totals."""
    if not batch.prepared:
        batch.prepare_outputs(Path(tempfile.mkdtemp(dir=workdir)), run_id)
    assert batch.directory is not None
    known = batch.directory / "known.csv"
    dedupe.register_ids(conn, batch.con, batch.candidate_ids(), known)
    batch.set_known(known, run_id)
    if batch.direct and batch.has_conflicts():
        raise NeedsLines("conflicts are quarantined with their lake lines")

    days = batch.loaded_days()
    ensure_partitions(conn, days)
    # Streamed from DuckDB as PostgreSQL reads them: encoding them here, while the worker
    # thread transforms the next batch, keeps the two lanes of work about even.
    for day, rows in batch.rows_by_day():
        pgcopy.copy_query(conn, partition_for(day), EVENT_COLUMNS, batch.con, rows)
    step("mid_load")

    files = batch.file_ledgers()
    quarantined = batch.directory / "quarantine.csv"
    if any(f.rejected or f.conflicts for f in files):
        batch.write_quarantined(quarantined, conflicts=any(f.conflicts for f in files))
        conn.execute(STAGE_QUARANTINE)
        copy_in(conn, "staged_quarantine", QUARANTINE_COLUMNS, quarantined)
        conn.execute(QUARANTINE)

    result = total.plus(files, batch.rejected_by_reason())
    record_batch(conn, run_id, files, result)
    conn.execute(MARK_DIRTY, (days,))
    # The batch's folder (and its derive rows) stays until the run ends; these files can go.
    for done in (known, quarantined):
        done.unlink(missing_ok=True)
    return result
