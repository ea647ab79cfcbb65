"""Erase one `user_id` or `client_id` from the lake and the warehouse, with an audit row.

Lake objects holding the subject are rewritten without its lines (a local object is replaced
by rename, an S3 object by a single PUT, so readers see the old or the new object, never a
mix); an object left empty is deleted. In the warehouse the subject's events and quarantined
records go, and the days they touched are derived again, so sessions and roll-ups hold no
trace either. The whole erasure holds the ETL lock, so no run loads an object mid-rewrite.
Running it again finds nothing more and records that.
"""

from __future__ import annotations

import gzip
import hashlib
import zlib
from dataclasses import dataclass, field

import psycopg
import structlog

from clickstream import jsonio
from clickstream.etl import rederive_days
from clickstream.lake.keys import EVENTS_PREFIX, QUARANTINE_PREFIX
from clickstream.lake.store import LakeStore
from clickstream.warehouse.locks import etl_lock

log = structlog.get_logger("clickstream.ops")
SUBJECT_COLUMNS = {"user_id": "user_id", "client_id": "client_id"}

OPEN_AUDIT_SQL = """
INSERT INTO privacy_erasures (subject_kind, subject_digest) VALUES (%s, %s) RETURNING erasure_id
"""
CLOSE_AUDIT_SQL = """
UPDATE privacy_erasures SET finished_at = now(), events_deleted = %s, quarantine_deleted = %s,
       days_rederived = %s, lake_objects_rewritten = %s, lake_objects_deleted = %s,
       lake_lines_removed = %s
WHERE erasure_id = %s
"""
# Column names come from SUBJECT_COLUMNS, never from input.
DAYS_SQL = (
    "SELECT DISTINCT (event_timestamp AT TIME ZONE 'UTC')::date FROM clickstream_events "
    "WHERE {column} = %s"
)
DELETE_EVENTS_SQL = "DELETE FROM clickstream_events WHERE {column} = %s"
# The item lines of the subject's events go with them (before them: they are found by them).
DELETE_ITEMS_SQL = """
DELETE FROM event_items AS i USING clickstream_events AS e
WHERE e.{column} = %s AND i.event_id = e.event_id AND i.event_timestamp = e.event_timestamp
"""
DELETE_QUARANTINE_SQL = """
DELETE FROM etl_quarantine
WHERE strpos(raw, %(plain)s) > 0 OR strpos(raw, %(nested)s) > 0
   OR strpos(coalesce(kept_version::text, ''), %(plain)s) > 0
"""


class ErasureBusy(RuntimeError):
    """An ETL run holds the lock; erase again when it has finished."""


class SubjectInvalid(ValueError):
    """The subject kind is not `user_id` or `client_id`, or the id is empty."""


@dataclass
class ErasureReport:
    """What one erasure removed."""

    erasure_id: int = 0
    events_deleted: int = 0
    items_deleted: int = 0
    quarantine_deleted: int = 0
    days_rederived: int = 0
    lake_objects_rewritten: int = 0
    lake_objects_deleted: int = 0
    lake_lines_removed: int = 0
    rewritten_keys: list[str] = field(default_factory=list)


def subject_digest(kind: str, value: str) -> str:
    """What the audit keeps of the subject: a SHA-256 digest, never the id itself."""
    return hashlib.sha256(f"{kind}:{value}".encode()).hexdigest()


def subject_needles(value: str) -> tuple[bytes, bytes]:
    """The id as a JSON string, and as one inside another JSON string (a quarantined body)."""
    plain = jsonio.dumps(value)
    return plain, jsonio.dumps(plain.decode())[1:-1]


def _without_subject(data: bytes, needles: tuple[bytes, ...]) -> tuple[bytes, int, int] | None:
    """The object's lines without those mentioning a needle: (new bytes, kept, removed)."""
    try:
        text = gzip.decompress(data)
    except (OSError, EOFError, zlib.error):
        text = zlib.decompressobj(wbits=31).decompress(data)  # a torn object: its whole part
    if not any(needle in text for needle in needles):
        return None
    kept, removed = [], 0
    for line in text.split(b"\n"):
        if not line.strip():
            continue
        if any(needle in line for needle in needles):
            removed += 1
        else:
            kept.append(line)
    body = b"".join(line + b"\n" for line in kept)
    return gzip.compress(body, mtime=0), len(kept), removed


def _erase_from_lake(lake: LakeStore, value: str, report: ErasureReport) -> None:
    needles = subject_needles(value)
    for prefix in (EVENTS_PREFIX, QUARANTINE_PREFIX):
        for obj in list(lake.list(prefix)):
            result = _without_subject(lake.get(obj.key), needles)
            if result is None:
                continue
            body, kept, removed = result
            if kept:
                lake.put(obj.key, body)
                report.lake_objects_rewritten += 1
            else:
                lake.delete(obj.key)
                report.lake_objects_deleted += 1
            report.lake_lines_removed += removed
            report.rewritten_keys.append(obj.key)


def erase_subject(warehouse_url: str, lake: LakeStore, kind: str, value: str) -> ErasureReport:
    """Remove every trace of `kind` = `value` from the lake and the warehouse."""
    if kind not in SUBJECT_COLUMNS or not value:
        raise SubjectInvalid("erase a non-empty `user_id` or `client_id`")
    column = SUBJECT_COLUMNS[kind]
    report = ErasureReport()
    with etl_lock(warehouse_url) as lock_conn:
        if lock_conn is None:
            raise ErasureBusy("an ETL run holds the warehouse lock; erase again when it ends")
        row = lock_conn.execute(OPEN_AUDIT_SQL, (kind, subject_digest(kind, value))).fetchone()
        assert row is not None
        report.erasure_id = int(row[0])
        _erase_from_lake(lake, value, report)
        plain, nested = (needle.decode() for needle in subject_needles(value))
        with psycopg.connect(warehouse_url) as conn, conn.transaction():
            days = [r[0] for r in conn.execute(DAYS_SQL.format(column=column), (value,))]
            report.items_deleted = conn.execute(
                DELETE_ITEMS_SQL.format(column=column), (value,)
            ).rowcount
            deleted = conn.execute(DELETE_EVENTS_SQL.format(column=column), (value,))
            report.events_deleted = deleted.rowcount
            report.quarantine_deleted = conn.execute(
                DELETE_QUARANTINE_SQL, {"plain": plain, "nested": nested}
            ).rowcount
            rederive_days(conn, days)
            report.days_rederived = len(days)
            conn.execute(
                CLOSE_AUDIT_SQL,
                (
                    report.events_deleted,
                    report.quarantine_deleted,
                    report.days_rederived,
                    report.lake_objects_rewritten,
                    report.lake_objects_deleted,
                    report.lake_lines_removed,
                    report.erasure_id,
                ),
            )
    log.info(
        "subject_erased",
        erasure_id=report.erasure_id,
        kind=kind,
        events=report.events_deleted,
        lake_objects=report.lake_objects_rewritten + report.lake_objects_deleted,
    )
    return report
