"""The per-run ledger in `etl_runs`: started, grown batch by batch, then closed.

Batch counts are added inside the batch's own transaction, so the ledger always agrees with
the manifest: `received = loaded + duplicates + conflicts + rejected` for every run.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import psycopg

from clickstream import jsonio
from clickstream.etl.transform import FileLedger

START_RUN = "INSERT INTO etl_runs (trigger, status) VALUES (%s, 'running') RETURNING run_id"
# Only called under the ETL lock: a run still `running` then belongs to a process that died.
ABANDON_STALE_RUNS = """
UPDATE etl_runs SET status = 'failed', finished_at = now(),
    error = coalesce(error, 'abandoned: the process ended before the run finished')
WHERE status = 'running' AND run_id <> %s
"""
ADD_BATCH = """
UPDATE etl_runs SET files = files + %s, received = received + %s, loaded = loaded + %s,
    duplicates = duplicates + %s, conflicts = conflicts + %s, rejected = rejected + %s,
    late = late + %s, rejected_by_reason = %s::jsonb
WHERE run_id = %s
"""
FINISH_RUN = """
UPDATE etl_runs SET status = %s, error = %s, days_derived = %s, finished_at = now()
WHERE run_id = %s
"""
INSERT_MANIFEST = """
INSERT INTO lake_manifest (object_key, size_bytes, run_id, received, loaded, duplicates,
    conflicts, rejected, late)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
"""
HISTORY = """
SELECT run_id, trigger, status, started_at, finished_at, files, received, loaded, duplicates,
       conflicts, rejected, late, days_derived, error
FROM etl_runs ORDER BY run_id DESC LIMIT %s
"""


@dataclass(frozen=True)
class RunResult:
    """The outcome and ledger of one run; `run_id` is None when another run held the lock."""

    run_id: int | None
    status: str
    files: int = 0
    received: int = 0
    loaded: int = 0
    duplicates: int = 0
    conflicts: int = 0
    rejected: int = 0
    late: int = 0
    days_derived: int = 0
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def plus(self, files: list[FileLedger], reasons: dict[str, int]) -> RunResult:
        """This result with a loaded batch's files added."""
        merged = Counter(self.rejected_by_reason)
        merged.update(reasons)
        return replace(
            self,
            files=self.files + len(files),
            received=self.received + sum(f.received for f in files),
            loaded=self.loaded + sum(f.loaded for f in files),
            duplicates=self.duplicates + sum(f.duplicates for f in files),
            conflicts=self.conflicts + sum(f.conflicts for f in files),
            rejected=self.rejected + sum(f.rejected for f in files),
            late=self.late + sum(f.late for f in files),
            rejected_by_reason=dict(sorted(merged.items())),
        )

    def summary(self) -> str:
        """One line for people: status and every count."""
        return (
            f"run {self.run_id}: {self.status}; files={self.files} received={self.received} "
            f"loaded={self.loaded} duplicates={self.duplicates} conflicts={self.conflicts} "
            f"rejected={self.rejected} late={self.late} days_derived={self.days_derived}"
        )


def start_run(conn: psycopg.Connection, trigger: str) -> int:
    """Record a new `running` run and close runs left behind by dead processes."""
    row = conn.execute(START_RUN, (trigger,)).fetchone()
    assert row is not None
    run_id = int(row[0])
    conn.execute(ABANDON_STALE_RUNS, (run_id,))
    return run_id


def record_batch(
    conn: psycopg.Connection, run_id: int, files: list[FileLedger], total: RunResult
) -> None:
    """Add a batch's manifest rows and counts; the caller's transaction covers the load too."""
    with conn.cursor() as cur:
        cur.executemany(
            INSERT_MANIFEST,
            [
                (f.key, f.size, run_id, f.received, f.loaded, f.duplicates, f.conflicts,
                 f.rejected, f.late)
                for f in files
            ],
        )
    conn.execute(
        ADD_BATCH,
        (
            len(files),
            sum(f.received for f in files),
            sum(f.loaded for f in files),
            sum(f.duplicates for f in files),
            sum(f.conflicts for f in files),
            sum(f.rejected for f in files),
            sum(f.late for f in files),
            jsonio.dumps(total.rejected_by_reason).decode(),
            run_id,
        ),
    )


def finish_run(
    conn: psycopg.Connection, run_id: int, status: str, days: int = 0, error: str | None = None
) -> None:
    """Close a run as `succeeded` or `failed`."""
    conn.execute(FINISH_RUN, (status, error, days, run_id))


def history(conn: psycopg.Connection, limit: int = 20) -> list[dict[str, object]]:
    """The latest runs, newest first, as dicts."""
    cur = conn.execute(HISTORY, (limit,))
    names = [d.name for d in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
