"""The per-run ledger in `etl_runs`: started, grown batch by batch, then closed.

Batch counts are added inside the batch's own transaction, so the ledger always agrees with
the manifest: `received = loaded + duplicates + conflicts + rejected` for every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import psycopg

from clickstream import jsonio
from clickstream.warehouse.manifest import FileLedger

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
HISTORY = """
SELECT run_id, trigger, status, started_at, finished_at, files, received, loaded, duplicates,
       conflicts, rejected, late, days_derived, error
FROM etl_runs ORDER BY run_id DESC LIMIT %s
"""


def start_run(conn: psycopg.Connection, trigger: str) -> int:
    """Record a new `running` run and close runs left behind by dead processes."""
    row = conn.execute(START_RUN, (trigger,)).fetchone()
    assert row is not None
    run_id = int(row[0])
    conn.execute(ABANDON_STALE_RUNS, (run_id,))
    return run_id


def add_batch(
    conn: psycopg.Connection,
    run_id: int,
    files: Sequence[FileLedger],
    rejected_by_reason: Mapping[str, int],
) -> None:
    """Add a batch's counts to the run; `rejected_by_reason` is the run's total so far."""
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
            jsonio.dumps(dict(rejected_by_reason)).decode(),
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
