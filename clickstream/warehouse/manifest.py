"""`lake_manifest`: which lake objects are loaded, with each one's counts.

A file's manifest row is written in the same transaction as its rows, so a lake object is
either loaded and listed here, or neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from clickstream.lake.keys import EVENTS_PREFIX, is_event_key
from clickstream.lake.store import LakeObject, LakeStore

INSERT_MANIFEST = """
INSERT INTO lake_manifest (object_key, size_bytes, run_id, received, loaded, duplicates,
    conflicts, rejected, late)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


@dataclass(frozen=True)
class FileLedger:
    """One file's counts; `received = loaded + duplicates + conflicts + rejected`."""

    key: str
    size: int
    received: int
    loaded: int
    duplicates: int
    conflicts: int
    rejected: int
    late: int


def pending_files(conn: psycopg.Connection, lake: LakeStore) -> list[LakeObject]:
    """Lake event objects that the manifest does not yet hold, in key order."""
    loaded = {row[0] for row in conn.execute("SELECT object_key FROM lake_manifest")}
    return [
        obj for obj in lake.list(EVENTS_PREFIX) if is_event_key(obj.key) and obj.key not in loaded
    ]


def record_files(conn: psycopg.Connection, run_id: int, files: Sequence[FileLedger]) -> None:
    """Add one manifest row per file (inside the caller's batch transaction)."""
    with conn.cursor() as cur:
        cur.executemany(
            INSERT_MANIFEST,
            [
                (
                    f.key,
                    f.size,
                    run_id,
                    f.received,
                    f.loaded,
                    f.duplicates,
                    f.conflicts,
                    f.rejected,
                    f.late,
                )
                for f in files
            ],
        )
