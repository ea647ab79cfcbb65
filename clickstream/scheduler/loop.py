"""The scheduler loop: run a job at each firing of a schedule until told to stop."""

from __future__ import annotations

import threading
from collections.abc import Callable

import structlog

from clickstream import utc
from clickstream.scheduler.expressions import Schedule

log = structlog.get_logger("clickstream.scheduler")


def run_forever(
    schedule: Schedule,
    job: Callable[[str], object],
    stop: threading.Event,
    run_at_start: bool = False,
    wake: threading.Event | None = None,
) -> None:
    """Call `job(trigger)` at each firing, at start if asked, and whenever `wake` is set.

    A failing job is logged and the loop goes on: the next firing catches up.
    """
    anchor = utc.now()
    if run_at_start:
        _safe_run(job, "start")
    while not stop.is_set():
        due = schedule.next_after(utc.now(), anchor=anchor)
        log.info("etl_next_run", at=utc.isoformat(due), schedule=schedule.expression)
        trigger = None
        while not stop.is_set() and trigger is None:
            remaining = (due - utc.now()).total_seconds()
            if remaining <= 0:
                trigger = "schedule"
            elif wake is not None and wake.wait(timeout=min(remaining, 1.0)):
                wake.clear()
                trigger = "on_demand"
            elif wake is None:
                stop.wait(timeout=min(remaining, 1.0))
        if trigger is not None and not stop.is_set():
            _safe_run(job, trigger)


def _safe_run(job: Callable[[str], object], trigger: str) -> None:
    try:
        job(trigger)
    except Exception as exc:
        log.error("scheduled_job_failed", trigger=trigger, error=f"{type(exc).__name__}: {exc}")
