"""The scheduled ETL job: skip while paused, otherwise one `run_etl`."""

from __future__ import annotations

from collections.abc import Callable

import structlog

from clickstream.etl.result import RunResult
from clickstream.scheduler.state import read_state

log = structlog.get_logger("clickstream.scheduler")


def scheduled_etl(
    warehouse_url: str, run: Callable[[str], RunResult]
) -> Callable[[str], RunResult | None]:
    """A job for `run_forever` that consults the persisted pause switch before each run."""

    def job(trigger: str) -> RunResult | None:
        state = read_state(warehouse_url)
        if state.paused and trigger != "on_demand":
            log.info("etl_paused", trigger=trigger, reason=state.reason)
            return None
        return run(trigger)

    return job
