"""The event_id registry: which events the warehouse already holds, and with which payload.

An `event_id` is stored at most once across partitions and runs. A repeat whose payload hash
matches the stored one is a duplicate; a different hash is a conflict (quarantined by `load`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import psycopg

from clickstream.etl.copying import copy_out
from clickstream.etl.pgcopy import copy_query
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


def register_ids(
    conn: psycopg.Connection, duck: duckdb.DuckDBPyConnection, candidates: str, known: Path
) -> None:
    """Write to `known` the candidates (rows of the DuckDB query `candidates`, in
    `ID_COLUMNS` order) already registered, then register the rest.

    Usually none is registered yet, so the ids are first copied straight into the registry
    under a savepoint; only when that hits a repeat does the staged comparison run.
    """
    try:
        with conn.transaction():
            copy_query(conn, "event_ids", ID_COLUMNS, duck, candidates)
    except psycopg.errors.UniqueViolation:
        pass
    else:
        known.write_bytes(b"")
        return
    conn.execute(STAGE_IDS)
    copy_query(conn, "staged_ids", ID_COLUMNS, duck, candidates)
    conn.execute("ANALYZE staged_ids")
    copy_out(conn, KNOWN_IDS, known)
    conn.execute(REGISTER_IDS)
