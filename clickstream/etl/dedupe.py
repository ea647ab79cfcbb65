"""The event_id registry: which events the warehouse already holds, and with which payload.

An `event_id` is stored at most once across partitions and runs. A repeat whose payload hash
matches the stored one is a duplicate; a different hash is a conflict (`outcomes.settle`
decides which, and the loader quarantines conflicts).
"""

from __future__ import annotations

from pathlib import Path

import psycopg

from clickstream.etl.batch import PreparedBatch
from clickstream.etl.copy import copy_out, copy_query
from clickstream.etl.transform import ID_COLUMNS

STAGE_IDS = """
CREATE TEMP TABLE IF NOT EXISTS staged_ids (
    event_id uuid, event_timestamp timestamptz, source_file text, payload_hash uuid
) ON COMMIT DELETE ROWS
"""
# Rows stored before payload hashes existed have none: a repeat of one counts as a duplicate.
KNOWN_IDS = """
SELECT s.event_id, (e.payload_hash IS NULL OR e.payload_hash = s.payload_hash)
FROM staged_ids s JOIN event_ids e USING (event_id)
"""


def claim_ids(conn: psycopg.Connection, batch: PreparedBatch) -> bool:
    """Register every candidate id of the batch at once (inside the batch's transaction), or,
    when the warehouse already holds some, none of them and return False.

    Usually none is registered yet, so the ids are copied straight into the registry under a
    savepoint; only when that hits a repeat do `known_ids`, `outcomes.settle` and
    `register_ids` run.
    """
    try:
        with conn.transaction():
            copy_query(conn, "event_ids", ID_COLUMNS, batch.con, batch.ids)
    except psycopg.errors.UniqueViolation:
        return False
    return True


def known_ids(conn: psycopg.Connection, batch: PreparedBatch, known: Path) -> None:
    """Write to `known` (CSV: event_id, same payload) the batch's candidates already held."""
    conn.execute(STAGE_IDS)
    copy_query(conn, "staged_ids", ID_COLUMNS, batch.con, batch.ids)
    conn.execute("ANALYZE staged_ids")
    copy_out(conn, KNOWN_IDS, known)


def register_ids(conn: psycopg.Connection, batch: PreparedBatch) -> None:
    """Register the ids of a settled batch (none of them is held yet)."""
    copy_query(conn, "event_ids", ID_COLUMNS, batch.con, batch.ids)
