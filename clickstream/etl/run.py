"""One ETL run: take the lock, find pending lake files, load each exactly once, keep a ledger.

HTTP-, process- and schedule-free, so the CLI, the scheduler and an AWS Lambda handler for an
EventBridge event can all call `run_etl`.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import structlog

from clickstream.etl.load import FileLedger, load_file
from clickstream.etl.transform import transform_file
from clickstream.lake.paths import EVENTS_PREFIX, is_event_key
from clickstream.lake.store import LakeObject, LakeStore

ETL_LOCK_KEY = 0x636C6B02  # one advisory lock for every ETL on this warehouse
log = structlog.get_logger("clickstream.etl")


class EtlRunFailed(RuntimeError):
    """A run stopped on an error; it was recorded as failed and nothing was half-loaded."""


@dataclass(frozen=True)
class RunResult:
    """The outcome and ledger of one run; `run_id` is None when another run held the lock."""

    run_id: int | None
    status: str
    files: int = 0
    received: int = 0
    loaded: int = 0
    duplicates: int = 0
    rejected: int = 0

    def plus(self, ledger: FileLedger) -> RunResult:
        """This result with one more file's ledger added."""
        return RunResult(
            run_id=self.run_id,
            status=self.status,
            files=self.files + 1,
            received=self.received + ledger.received,
            loaded=self.loaded + ledger.loaded,
            duplicates=self.duplicates + ledger.duplicates,
            rejected=self.rejected + ledger.rejected,
        )


def pending_files(conn: psycopg.Connection, lake: LakeStore) -> list[LakeObject]:
    """Lake event objects that the manifest does not yet hold, in key order."""
    loaded = {row[0] for row in conn.execute("SELECT object_key FROM lake_manifest")}
    return [
        obj for obj in lake.list(EVENTS_PREFIX) if is_event_key(obj.key) and obj.key not in loaded
    ]


def run_etl(warehouse_url: str, lake: LakeStore, trigger: str = "manual") -> RunResult:
    """Load every pending lake file; a concurrent run makes this a logged no-op."""
    with psycopg.connect(warehouse_url, autocommit=True) as lock_conn:
        got = lock_conn.execute("SELECT pg_try_advisory_lock(%s)", (ETL_LOCK_KEY,)).fetchone()
        if not got or not got[0]:
            log.info("etl_skipped", reason="another run holds the lock", trigger=trigger)
            return RunResult(run_id=None, status="skipped")
        try:
            return _locked_run(lock_conn, warehouse_url, lake, trigger)
        finally:
            lock_conn.execute("SELECT pg_advisory_unlock(%s)", (ETL_LOCK_KEY,))


def _locked_run(
    lock_conn: psycopg.Connection, warehouse_url: str, lake: LakeStore, trigger: str
) -> RunResult:
    row = lock_conn.execute(
        "INSERT INTO etl_runs (trigger, status) VALUES (%s, 'running') RETURNING run_id",
        (trigger,),
    ).fetchone()
    assert row is not None
    result = RunResult(run_id=int(row[0]), status="running")
    log.info("etl_started", run_id=result.run_id, trigger=trigger)
    try:
        with psycopg.connect(warehouse_url) as conn:
            pending = pending_files(conn, lake)
            conn.commit()
            for obj in pending:
                batch = transform_file(lake.get(obj.key), obj.key)
                with conn.transaction():
                    ledger = load_file(conn, result.run_id or 0, obj.key, obj.size, batch)
                conn.commit()
                result = result.plus(ledger)
                _record(lock_conn, result, "running")
    except Exception as exc:
        _record(lock_conn, result, "failed", error=f"{type(exc).__name__}: {exc}")
        log.error("etl_failed", run_id=result.run_id, error=f"{type(exc).__name__}: {exc}")
        raise EtlRunFailed(f"ETL run {result.run_id} failed: {exc}") from exc
    _record(lock_conn, result, "succeeded")
    done = RunResult(**{**result.__dict__, "status": "succeeded"})
    log.info("etl_finished", **done.__dict__)
    return done


def _record(
    conn: psycopg.Connection, result: RunResult, status: str, error: str | None = None
) -> None:
    conn.execute(
        """UPDATE etl_runs SET status = %s, files = %s, received = %s, loaded = %s,
               duplicates = %s, rejected = %s, error = %s,
               finished_at = CASE WHEN %s = 'running' THEN NULL ELSE now() END
           WHERE run_id = %s""",
        (
            status,
            result.files,
            result.received,
            result.loaded,
            result.duplicates,
            result.rejected,
            error,
            status,
            result.run_id,
        ),
    )
