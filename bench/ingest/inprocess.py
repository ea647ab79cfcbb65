"""Per-request CPU cost of the ingest app and the bare baseline, without HTTP.

Calls each ASGI app directly with a synthetic scope, `receive` and `send`, from `--clients`
concurrent tasks on one uvloop loop, with the ingest service's real spool on disk (fsyncs
included), and prints CPU microseconds (all threads) and wall microseconds per request.
`--profile` writes a cProfile of the ingest run.

Usage: .venv/bin/python -m bench.ingest.inprocess [--requests 20000] [--clients 32] [--profile F]

`--live-ab R` instead runs two ingest apps in this process, one with the live counters
(`CLICKSTREAM_INGEST_LIVE`) off, and measures single events on each in turn for R rounds
(alternating which goes first), printing the medians: the counters' cost without HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bench.ingest.run import BATCH, SINGLE
from clickstream.ingest.durability.spool import Spool

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


def scope_for(body: bytes) -> dict[str, Any]:
    """The scope uvicorn's httptools protocol builds for a `wrk` POST of `body`."""
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 40000),
        "scheme": "http",
        "method": "POST",
        "root_path": "",
        "path": "/clickstream",
        "raw_path": b"/clickstream",
        "query_string": b"",
        "headers": [
            (b"host", b"127.0.0.1:8080"),
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"application/json"),
        ],
        "state": {},
    }


async def drive(app: App, body: bytes, requests: int, clients: int) -> int:
    """Send `requests` requests from `clients` tasks; returns how many got a 2xx."""
    ok = 0
    message = {"type": "http.request", "body": body, "more_body": False}

    async def receive() -> dict[str, Any]:
        return message

    async def client(count: int) -> None:
        nonlocal ok
        status = 0

        async def send(reply: dict[str, Any]) -> None:
            nonlocal status
            if reply["type"] == "http.response.start":
                status = reply["status"]

        for _ in range(count):
            await app(scope_for(body), receive, send)
            ok += 200 <= status < 300

    await asyncio.gather(*(client(requests // clients) for _ in range(clients)))
    return ok


def measure(
    name: str, app: App, body: bytes, requests: int, clients: int, spool: Spool | None = None
) -> tuple[float, float]:
    """Print CPU and wall microseconds per request of `app` (and requests per fsync); returns
    the CPU microseconds per request, all threads and the loop thread."""
    loop = asyncio.get_event_loop()
    loop.run_until_complete(drive(app, body, 2000, clients))  # warm up
    commits = spool.stats.commits if spool is not None else 0
    cpu, main, wall = time.process_time(), time.thread_time(), time.perf_counter()
    ok = loop.run_until_complete(drive(app, body, requests, clients))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    main = time.thread_time() - main
    done = requests // clients * clients
    if ok != done:
        raise RuntimeError(f"{name}: {done - ok} requests failed")
    grouping = ""
    if spool is not None:
        grouping = f"; {done / max(1, spool.stats.commits - commits):.1f} requests/fsync"
    print(
        f"{name:18} CPU µs/request: {cpu / done * 1e6:6.1f} all threads, "
        f"{main / done * 1e6:6.1f} loop thread; wall {wall / done * 1e6:6.1f} µs/request"
        f"{grouping}"
    )
    return cpu / done * 1e6, main / done * 1e6


def live_ab(work: Path, rounds: int, requests: int, clients: int) -> None:
    """The ingest with the live counters on and off, alternated in one process."""
    import statistics

    from clickstream.ingest.configuration import IngestSettings
    from clickstream.ingest.http.app import build_app, build_service

    loop = asyncio.get_event_loop()
    apps = {}
    for name, live in (("live on", True), ("live off", False)):
        settings = IngestSettings(data_dir=work / name.replace(" ", "-"), ingest_live=live)
        service = build_service(settings)
        loop.run_until_complete(service.astart())
        apps[name] = (build_app(settings, service), service)
    figures: dict[str, list[tuple[float, float]]] = {name: [] for name in apps}
    try:
        for round_ in range(rounds):
            order = list(apps) if round_ % 2 == 0 else list(apps)[::-1]
            for name in order:
                app, service = apps[name]
                figures[name].append(
                    measure(name, app, SINGLE.encode(), requests, clients, service.spool)
                )
    finally:
        for _, service in apps.values():
            loop.run_until_complete(service.astop())
    on, off = figures["live on"], figures["live off"]
    for index, label in ((0, "all threads"), (1, "loop thread")):
        a = statistics.median(f[index] for f in on)
        b = statistics.median(f[index] for f in off)
        print(f"median CPU µs/request, {label}: live on {a:.1f}, off {b:.1f}, ratio {a / b:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--profile", type=Path, default=None, help="cProfile output file")
    parser.add_argument("--live-ab", type=int, default=0, metavar="ROUNDS")
    args = parser.parse_args()
    import uvloop

    asyncio.set_event_loop(uvloop.new_event_loop())
    loop = asyncio.get_event_loop()
    with tempfile.TemporaryDirectory(prefix="bench-inproc-") as tmp:
        work = Path(tmp)
        os.environ["BASELINE_FILE"] = str(work / "baseline.ndjson")
        os.environ.update(
            CLICKSTREAM_DATA_DIR=str(work / "data"),
            CLICKSTREAM_LAKE_URL=str(work / "lake"),
            CLICKSTREAM_INGEST_RATE_LIMIT_PER_SECOND="0",
            CLICKSTREAM_LOG_LEVEL="warning",
        )
        if args.live_ab:
            live_ab(work, args.live_ab, args.requests, args.clients)
            return
        from bench.ingest import baseline
        from clickstream.ingest.configuration import IngestSettings
        from clickstream.ingest.http.app import build_app, build_service

        settings = IngestSettings()
        service = build_service(settings)
        app = build_app(settings, service)
        loop.run_until_complete(service.astart())
        try:
            for label, body in (("single", SINGLE.encode()), ("batch10", BATCH.encode())):
                measure(f"baseline {label}", baseline.app, body, args.requests, args.clients)
                profiler = cProfile.Profile()
                profiling = args.profile is not None and label == "single"
                if profiling:
                    profiler.enable()
                measure(f"ingest {label}", app, body, args.requests, args.clients, service.spool)
                if profiling:
                    profiler.disable()
                    profiler.dump_stats(args.profile)
        finally:
            loop.run_until_complete(service.astop())
    sys.stdout.flush()


if __name__ == "__main__":
    main()
