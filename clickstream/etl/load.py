"""Write one prepared batch into PostgreSQL: rows and their item lines, quarantine, manifest,
ledger, dirty days.

Everything happens in the caller's single transaction (which also registered the batch's
ids), so a crash at any point leaves all or none of the batch's files: their rows, quarantine
entries, manifest rows and ledger counts. Nothing here decides anything: the batch is final.
"""

from __future__ import annotations

from collections.abc import Callable

import psycopg

from clickstream.etl.batch import PreparedBatch
from clickstream.etl.copy import copy_in, copy_query
from clickstream.etl.outcomes import QUARANTINE_COLUMNS
from clickstream.etl.result import RunResult
from clickstream.etl.transform import EVENT_COLUMNS, ITEM_COLUMNS
from clickstream.warehouse.dirty_days import mark_days
from clickstream.warehouse.ledger import add_batch
from clickstream.warehouse.manifest import record_files
from clickstream.warehouse.partitions import ITEMS, ensure_partitions, partition_for

Step = Callable[[str], None]

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


def write_batch(
    conn: psycopg.Connection, run_id: int, batch: PreparedBatch, total: RunResult, step: Step
) -> RunResult:
    """Write `batch` inside the open transaction on `conn`; return the run's new totals."""
    ensure_partitions(conn, batch.days)
    # Streamed from DuckDB as PostgreSQL reads them: encoding them here, while the worker
    # thread transforms the next batch, keeps the two lanes of work about even.
    for day, rows in batch.rows_by_day:
        copy_query(conn, partition_for(day), EVENT_COLUMNS, batch.con, rows)
    for day, lines in batch.items_by_day:
        copy_query(conn, partition_for(day, ITEMS), ITEM_COLUMNS, batch.con, lines)
    step("mid_load")
    if batch.quarantine is not None:
        conn.execute(STAGE_QUARANTINE)
        copy_in(conn, "staged_quarantine", QUARANTINE_COLUMNS, batch.quarantine)
        conn.execute(QUARANTINE)
    result = total.plus(batch.files, batch.rejected_by_reason)
    record_files(conn, run_id, batch.files)
    add_batch(conn, run_id, batch.files, result.rejected_by_reason)
    mark_days(conn, batch.days)
    return result
