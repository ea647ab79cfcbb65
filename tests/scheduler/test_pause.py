"""Pause and resume are persisted in the warehouse and obeyed by the scheduled job."""

from __future__ import annotations

from pathlib import Path

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.scheduler.jobs import scheduled_etl
from clickstream.scheduler.state import read_state, set_paused
from tests.etl.lakefiles import HOUR, put, record


def test_pause_survives_a_new_connection_and_resume_clears_it(warehouse_url: str) -> None:
    set_paused(warehouse_url, True, "deploy")
    paused = read_state(warehouse_url)
    set_paused(warehouse_url, False)
    resumed = read_state(warehouse_url)

    assert (paused.paused, paused.reason) == (True, "deploy")
    assert (resumed.paused, resumed.reason) == (False, None)


def test_paused_scheduler_skips_runs_until_resumed_but_on_demand_still_runs(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    put(lake, HOUR, [record()])
    job = scheduled_etl(warehouse_url, lambda trigger: run_etl(warehouse_url, lake, trigger))

    set_paused(warehouse_url, True)
    skipped = job("schedule")
    put(lake, HOUR, [record()], seq=2)
    on_demand = job("on_demand")
    set_paused(warehouse_url, False)
    put(lake, HOUR, [record()], seq=3)
    scheduled = job("schedule")

    assert skipped is None
    assert on_demand is not None and (on_demand.files, on_demand.loaded) == (2, 2)
    assert scheduled is not None and (scheduled.files, scheduled.loaded) == (1, 1)
