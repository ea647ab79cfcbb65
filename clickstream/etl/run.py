"""One ETL run: take the lock, load pending lake files batch by batch, derive, keep a ledger.

HTTP-, process- and schedule-free, so the CLI, the scheduler and an AWS Lambda handler for an
EventBridge event can all call `run_etl`. `on_step` lets a caller observe (or, in the crash
tests, kill the process at) each named step: extracted, transformed, mid_load, before_commit,
committed, derived.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb
import psycopg
import structlog

from clickstream.etl.derive.compute import Precomputed, derived_types, precompute_days
from clickstream.etl.derive.days import derive_dirty_days
from clickstream.etl.derive.run_rows import RunRows
from clickstream.etl.extract import batches, direct_paths, fetch_all, unfetched
from clickstream.etl.ledger import RunResult, finish_run, start_run
from clickstream.etl.load import NeedsLines, load_batch
from clickstream.etl.transform import BatchTransform, DirectReadFailed, connect
from clickstream.lake.paths import EVENTS_PREFIX, is_event_key
from clickstream.lake.store import LakeObject, LakeStore
from clickstream.settings import EtlSettings

__all__ = ["ETL_LOCK_KEY", "EtlOptions", "EtlRunFailed", "RunResult", "etl_lock", "run_etl"]

ETL_LOCK_KEY = 0x636C6B02  # one advisory lock for every ETL on this warehouse
log = structlog.get_logger("clickstream.etl")
Step = Callable[[str], None]


class EtlRunFailed(RuntimeError):
    """A run stopped on an error; it was recorded as failed and nothing was half-loaded."""


@dataclass(frozen=True)
class EtlOptions:
    """How a run batches and transforms; `EtlSettings` provides these from the environment."""

    batch_files: int = 500
    batch_bytes: int = 8 * 1024 * 1024
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "1GB"
    fetch_workers: int = 4
    work_dir: Path | None = None

    @classmethod
    def from_settings(cls, settings: EtlSettings) -> EtlOptions:
        """The options `settings` describe."""
        return cls(
            batch_files=settings.etl_batch_files,
            batch_bytes=settings.etl_batch_bytes,
            duckdb_threads=settings.etl_duckdb_threads,
            duckdb_memory_limit=settings.etl_duckdb_memory_limit,
            fetch_workers=settings.etl_fetch_workers,
            work_dir=settings.etl_work_dir,
        )


def _no_step(_name: str) -> None:
    return None


def pending_files(conn: psycopg.Connection, lake: LakeStore) -> list[LakeObject]:
    """Lake event objects that the manifest does not yet hold, in key order."""
    loaded = {row[0] for row in conn.execute("SELECT object_key FROM lake_manifest")}
    return [
        obj for obj in lake.list(EVENTS_PREFIX) if is_event_key(obj.key) and obj.key not in loaded
    ]


@contextmanager
def etl_lock(warehouse_url: str) -> Iterator[psycopg.Connection | None]:
    """An autocommit connection holding the ETL advisory lock, or None when another holds it."""
    try:
        conn = psycopg.connect(warehouse_url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise EtlRunFailed(f"warehouse unreachable: {exc}".strip()) from exc
    with conn:
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (ETL_LOCK_KEY,)).fetchone()
        if not got or not got[0]:
            yield None
            return
        try:
            yield conn
        finally:
            if not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s)", (ETL_LOCK_KEY,))


def run_etl(
    warehouse_url: str,
    lake: LakeStore,
    trigger: str = "manual",
    options: EtlOptions | None = None,
    on_step: Step | None = None,
) -> RunResult:
    """Load every pending lake file; a concurrent run makes this a logged no-op."""
    with etl_lock(warehouse_url) as lock_conn:
        if lock_conn is None:
            log.info("etl_skipped", reason="another run holds the lock", trigger=trigger)
            return RunResult(run_id=None, status="skipped")
        return locked_run(lock_conn, warehouse_url, lake, trigger, options, on_step)


def locked_run(
    lock_conn: psycopg.Connection,
    warehouse_url: str,
    lake: LakeStore,
    trigger: str,
    options: EtlOptions | None = None,
    on_step: Step | None = None,
) -> RunResult:
    """A run for a caller that already holds the ETL lock on `lock_conn`."""
    opts = options or EtlOptions()
    step = on_step or _no_step
    run_id = start_run(lock_conn, trigger)
    result = RunResult(run_id=run_id, status="running")
    log.info("etl_started", run_id=run_id, trigger=trigger)
    try:
        result = _load_and_derive(warehouse_url, lake, run_id, result, opts, step)
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}".strip()
        _record_failure(lock_conn, run_id, error)
        log.error("etl_failed", run_id=run_id, error=error)
        raise EtlRunFailed(f"ETL run {run_id} failed: {error}") from exc
    finish_run(lock_conn, run_id, "succeeded", days=result.days_derived)
    done = replace(result, status="succeeded")
    log.info("etl_finished", **{k: v for k, v in done.__dict__.items() if k != "error"})
    return done


def _load_and_derive(
    warehouse_url: str,
    lake: LakeStore,
    run_id: int,
    result: RunResult,
    opts: EtlOptions,
    step: Step,
) -> RunResult:
    # Two DuckDB connections take turns so the next batch is fetched and transformed in a
    # worker thread while PostgreSQL loads the current one.
    ducks = [connect(opts.duckdb_threads, opts.duckdb_memory_limit) for _ in range(2)]
    rows = RunRows(run_id)
    groups: list[list[LakeObject]] = []
    early: Future[Precomputed] | None = None

    def by_lines(number: int, group: list[LakeObject]) -> BatchTransform:
        fetched = fetch_all(lake, group, opts.fetch_workers)
        step("extracted")
        batch = BatchTransform(ducks[number % 2], fetched)
        batch.prepare_outputs(Path(tempfile.mkdtemp(dir=workdir)), run_id)
        step("transformed")
        return batch

    def transform(number: int, group: list[LakeObject]) -> BatchTransform:
        paths = direct_paths(lake, group)
        if paths is None:
            return by_lines(number, group)
        step("extracted")
        try:
            batch = BatchTransform(ducks[number % 2], unfetched(group), paths)
            batch.prepare_outputs(Path(tempfile.mkdtemp(dir=workdir)), run_id)
        except DirectReadFailed as exc:
            log.info("etl_batch_by_lines", run_id=run_id, reason=str(exc)[:200])
            return by_lines(number, group)
        step("transformed")
        return batch

    prepared = RunRows(run_id)  # the rows as they will be if every batch commits as prepared

    def prepare(number: int, group: list[LakeObject]) -> BatchTransform:
        batch = transform(number, group)
        prepared.keep(batch.derive_rows, batch.loaded_days())
        return batch

    def submit(number: int) -> Future[BatchTransform]:
        future = worker.submit(prepare, number, groups[number])
        nonlocal early
        if number + 1 == len(groups):
            # Right after the last batch, the worker (otherwise idle from then on) derives
            # the run's days from its rows while PostgreSQL still loads the last batches.
            early = worker.submit(
                lambda: precompute_days(spare_duck(), prepared, workdir / "early", types)
            )
        return future

    def spare_duck() -> duckdb.DuckDBPyConnection:
        # A third connection: the other two may still serve the batches being loaded.
        ducks.append(connect(opts.duckdb_threads, opts.duckdb_memory_limit))
        return ducks[-1]

    conn = psycopg.connect(warehouse_url, autocommit=True, connect_timeout=10)
    workdir = Path(tempfile.mkdtemp(prefix="clickstream-etl-", dir=opts.work_dir))
    with (
        conn,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="etl-transform") as worker,
    ):
        try:
            groups.extend(batches(pending_files(conn, lake), opts.batch_files, opts.batch_bytes))
            types = derived_types(conn)
            upcoming = submit(0) if groups else None
            for number, group in enumerate(groups):
                assert upcoming is not None
                batch = upcoming.result()
                if number + 1 < len(groups):
                    upcoming = submit(number + 1)
                # Which days held no events yet; only asked before the day's first batch.
                rows.check_days(conn, batch.loaded_days())
                try:
                    with conn.transaction():
                        result = load_batch(conn, run_id, batch, workdir, result, step)
                        step("before_commit")
                except (NeedsLines, psycopg.DataError) as exc:
                    if not batch.direct:
                        raise
                    log.info("etl_batch_by_lines", run_id=run_id, reason=str(exc)[:200])
                    batch = by_lines(number, group)
                    rows.check_days(conn, batch.loaded_days())
                    with conn.transaction():
                        result = load_batch(conn, run_id, batch, workdir, result, step)
                        step("before_commit")
                rows.keep(batch.derive_rows, batch.loaded_days())
                step("committed")
                log.info("etl_batch_loaded", run_id=run_id, files=len(group), total=result.loaded)
            with conn.transaction():
                ahead = early.result() if early is not None else None
                days = derive_dirty_days(conn, ducks[0], rows, workdir, ahead)
                step("derived")
        finally:
            worker.shutdown(wait=True, cancel_futures=True)
            for duck in ducks:
                duck.close()
            shutil.rmtree(workdir, ignore_errors=True)
    return replace(result, days_derived=len(days))


def _record_failure(lock_conn: psycopg.Connection, run_id: int, error: str) -> None:
    try:
        finish_run(lock_conn, run_id, "failed", error=error[:4000])
    except psycopg.Error as exc:  # the warehouse itself went away: nothing more to record
        log.error("etl_failure_not_recorded", run_id=run_id, error=str(exc))
