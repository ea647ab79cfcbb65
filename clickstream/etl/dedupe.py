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
REGISTER_IDS = """
INSERT INTO event_ids (event_id, event_timestamp, source_file, payload_hash)
SELECT event_id, event_timestamp, source_file, payload_hash FROM staged_ids
ON CONFLICT (event_id) DO NOTHING
"""


def claim_ids(conn: psycopg.Connection, batch: PreparedBatch, known: Path) -> bool:
    """Register the batch's candidate ids not yet registered (inside the batch's transaction);
    when some were, write them to `known` (CSV: event_id, same payload) and return True.

    Usually none is registered yet, so the ids are first copied straight into the registry
    under a savepoint; only when that hits a repeat does the staged comparison run.
    """
    try:
        with conn.transaction():
            copy_query(conn, "event_ids", ID_COLUMNS, batch.con, batch.ids)
    except psycopg.errors.UniqueViolation:
        pass
    else:
        return False
    conn.execute(STAGE_IDS)
    copy_query(conn, "staged_ids", ID_COLUMNS, batch.con, batch.ids)
    conn.execute("ANALYZE staged_ids")
    copy_out(conn, KNOWN_IDS, known)
    conn.execute(REGISTER_IDS)
    return True
