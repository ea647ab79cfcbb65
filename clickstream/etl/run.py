"""One ETL run: take the lock, record the run, let the pipeline load and derive, close the run.

HTTP-, process- and schedule-free, so the CLI, the scheduler and an AWS Lambda handler for an
EventBridge event can all call `run_etl`. `on_step` lets a caller observe (or, in the crash
tests, kill the process at) each named step: extracted, transformed, mid_load, before_commit,
committed, derived.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import TYPE_CHECKING

import psycopg
import structlog

from clickstream.etl.configuration import EtlOptions
from clickstream.etl.pipeline import Pipeline, Step
from clickstream.etl.result import RunResult
from clickstream.lake.store import LakeStore
from clickstream.warehouse.ledger import finish_run, start_run
from clickstream.warehouse.locks import ETL_LOCK_KEY, WarehouseUnreachable, etl_lock

if TYPE_CHECKING:
    from clickstream.etl.spark.pipeline import SparkPipeline

__all__ = [
    "ETL_LOCK_KEY",
    "EtlOptions",
    "EtlRunFailed",
    "RunResult",
    "Step",
    "locked",
    "locked_run",
    "run_etl",
]

log = structlog.get_logger("clickstream.etl")


class EtlRunFailed(RuntimeError):
    """A run stopped on an error; it was recorded as failed and nothing was half-loaded."""


class EngineUnavailable(RuntimeError):
    """The engine asked for is unknown, or its packages are not installed."""


@contextmanager
def locked(warehouse_url: str) -> Iterator[psycopg.Connection | None]:
    """The ETL lock (`warehouse.locks.etl_lock`); an unreachable warehouse is a failed run."""
    try:
        with etl_lock(warehouse_url) as conn:
            yield conn
    except WarehouseUnreachable as exc:
        raise EtlRunFailed(str(exc)) from exc


def run_etl(
    warehouse_url: str,
    lake: LakeStore,
    trigger: str = "manual",
    options: EtlOptions | None = None,
    on_step: Step | None = None,
) -> RunResult:
    """Load every pending lake file; a concurrent run makes this a logged no-op."""
    with locked(warehouse_url) as lock_conn:
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
    run_id = start_run(lock_conn, trigger)
    log.info("etl_started", run_id=run_id, trigger=trigger)
    try:
        options = options or EtlOptions()
        result = _pipeline(warehouse_url, lake, run_id, options, on_step or _no_step).run()
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}".strip()
        _record_failure(lock_conn, run_id, error)
        log.error("etl_failed", run_id=run_id, error=error)
        raise EtlRunFailed(f"ETL run {run_id} failed: {error}") from exc
    finish_run(lock_conn, run_id, "succeeded", days=result.days_derived)
    done = replace(result, status="succeeded")
    log.info("etl_finished", **{k: v for k, v in done.__dict__.items() if k != "error"})
    return done


def _pipeline(
    warehouse_url: str, lake: LakeStore, run_id: int, options: EtlOptions, step: Step
) -> Pipeline | SparkPipeline:
    """The engine's pipeline: DuckDB's, or Spark's (imported only when chosen)."""
    if options.engine == "spark":
        try:
            from clickstream.etl.spark.pipeline import SparkPipeline
        except ImportError as exc:
            raise EngineUnavailable(
                f"the spark engine needs pyspark and Java 17 (pip install 'clickstream[spark]'): "
                f"{exc}"
            ) from exc
        return SparkPipeline(warehouse_url, lake, run_id, options, step)
    if options.engine != "duckdb":
        raise EngineUnavailable(f"unknown ETL engine {options.engine!r}: duckdb or spark")
    return Pipeline(warehouse_url, lake, run_id, options, step)


def _no_step(_name: str) -> None:
    return None


def _record_failure(lock_conn: psycopg.Connection, run_id: int, error: str) -> None:
    try:
        finish_run(lock_conn, run_id, "failed", error=error[:4000])
    except psycopg.Error as exc:  # the warehouse itself went away: nothing more to record
        log.error("etl_failure_not_recorded", run_id=run_id, error=str(exc))
