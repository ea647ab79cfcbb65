"""Where one ETL run's time goes: its named steps, and on Spark every job and stage.

One run of one engine into a fresh warehouse, timed with the run's `on_step` hook. For Spark
the session writes its event log (`spark.eventLog.*`, no web UI needed), and the jobs and
stages of the run are printed from it: start offset, seconds, tasks and their summed run time,
and where in our code the job was started.

Usage: python -m bench.etl.steps --engine spark --master 'local[2]' --lake /tmp/lake
       [--conf key=value ...] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.etl.run import _drop_database, _fresh_database, _load_average


def _events(log_dir: Path) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for path in sorted(
        p for p in log_dir.rglob("*") if p.is_file() and p.name.startswith("events_")
    ):
        with path.open() as lines:
            events.extend(json.loads(line) for line in lines if line.strip())
    return events


def spark_report(log_dir: Path, started_ms: float) -> list[str]:
    """One line per job (and its stages) of the event log in `log_dir`."""
    jobs: dict[int, dict[str, Any]] = {}
    stages: dict[int, dict[str, Any]] = {}
    task_ms: dict[int, float] = {}
    for event in _events(log_dir):
        kind = event["Event"]
        if kind == "SparkListenerJobStart":
            infos = event["Stage Infos"]
            site = min(infos, key=lambda s: s["Stage ID"])["Stage Name"] if infos else ""
            jobs[event["Job ID"]] = {
                "start": event["Submission Time"],
                "stages": [s["Stage ID"] for s in infos],
                "site": site,
            }
        elif kind == "SparkListenerJobEnd":
            jobs[event["Job ID"]]["end"] = event["Completion Time"]
        elif kind == "SparkListenerStageCompleted":
            info = event["Stage Info"]
            stages[info["Stage ID"]] = info
        elif kind == "SparkListenerTaskEnd":
            metrics = event.get("Task Metrics") or {}
            stage_id = event["Stage ID"]
            task_ms[stage_id] = task_ms.get(stage_id, 0.0) + metrics.get("Executor Run Time", 0)
    lines = []
    for job_id, job in sorted(jobs.items()):
        seconds = (job.get("end", job["start"]) - job["start"]) / 1000
        lines.append(
            f"job {job_id:3} at {(job['start'] - started_ms) / 1000:7.1f} s "
            f"{seconds:7.1f} s  {job['site']}"
        )
        for stage_id in job["stages"]:
            info = stages.get(stage_id)
            if info is None or "Completion Time" not in info:
                continue
            spent = (info["Completion Time"] - info["Submission Time"]) / 1000
            lines.append(
                f"    stage {stage_id:3} {spent:7.1f} s {info['Number of Tasks']:4} tasks "
                f"run {task_ms.get(stage_id, 0) / 1000:7.1f} s"
            )
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", default="spark")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--lake", type=Path, required=True)
    parser.add_argument("--conf", action="append", default=[], help="key=value (Spark)")
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args(argv)

    from clickstream.etl.run import EtlOptions, run_etl
    from clickstream.lake import open_lake
    from clickstream.ops.logging import configure_logging

    configure_logging("warning", component="bench")
    print("load average", _load_average(), flush=True)
    began = time.perf_counter()
    log_dir = Path(tempfile.mkdtemp(prefix="clickstream-eventlog-"))
    if args.engine == "spark":
        from clickstream.etl.spark.session import session

        inside = args.master.removeprefix("local[").removesuffix("]")
        cores = int(inside) if inside.isdigit() else os.cpu_count() or 2
        conf = {
            "spark.sql.shuffle.partitions": str(4 * cores),
            "spark.driver.memory": "4g",
            "spark.eventLog.enabled": "true",
            "spark.eventLog.dir": log_dir.as_uri(),
            "spark.eventLog.compress": "false",
            **dict(item.split("=", 1) for item in args.conf),
        }
        session(args.master, "clickstream-steps", conf)
    print(f"session ready {time.perf_counter() - began:.1f} s", flush=True)
    url = _fresh_database(args.pg_url)
    spent: dict[str, float] = {}
    started = time.perf_counter()
    started_ms = time.time() * 1000
    last = [started]

    def step(name: str) -> None:
        now = time.perf_counter()
        spent[name] = spent.get(name, 0.0) + now - last[0]
        print(f"  step {name:15} {now - last[0]:7.1f} s", flush=True)
        last[0] = now

    try:
        result = run_etl(
            url,
            open_lake(str(args.lake)),
            trigger="bench",
            options=EtlOptions(engine=args.engine),
            on_step=step,
        )
    finally:
        _drop_database(args.pg_url, url)
    elapsed = time.perf_counter() - started
    print(
        f"{args.engine} {args.master}: {result.received} events {elapsed:.1f} s "
        f"{result.received / elapsed:,.0f} events/s | load average {_load_average()}",
        flush=True,
    )
    if args.engine == "spark":
        from pyspark.sql import SparkSession

        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
        for line in spark_report(log_dir, started_ms):
            print(line)
    shutil.rmtree(log_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
