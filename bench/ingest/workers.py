"""Benchmark `ingest serve --workers 2` against `--workers 1`, side by side in the same run.

Both servers run at once on loopback, each with its own data folder; wrk drives single-event
requests at one then the other, interleaved round by round so drift on a shared machine hits
both alike. Prints median requests/s, p50 and p99 latency, the 2/1 ratio and the load average
before and after (other processes on the machine take cores too).

Usage: .venv/bin/python -m bench.ingest.workers [--seconds 10] [--connections 64] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from bench.ingest.run import ROOT, Result, ServerProcess, free_port, run_wrk, wrk_script

SINGLE_EVENT = '{"event_name": "product_view", "client_id": "c-1", "page_url": "https://s/p/4"}'


def start(work: Path, workers: int) -> ServerProcess:
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CLICKSTREAM_DATA_DIR": str(work / f"data-{workers}"),
        "CLICKSTREAM_LAKE_URL": str(work / f"lake-{workers}"),
        "CLICKSTREAM_INGEST_HOST": "127.0.0.1",
        "CLICKSTREAM_INGEST_PORT": str(port),
        "CLICKSTREAM_INGEST_WORKERS": str(workers),
        "CLICKSTREAM_INGEST_RATE_LIMIT_PER_SECOND": "0",  # one client IP drives the load
        "CLICKSTREAM_LOG_LEVEL": "warning",
    }
    args = [sys.executable, "-m", "clickstream", "ingest", "serve"]
    return ServerProcess(f"workers={workers}", args, env, port)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3, help="runs per figure; medians reported")
    args = parser.parse_args()

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-ingest-workers-") as tmp:
        work = Path(tmp)
        servers = [start(work, 1), start(work, 2)]
        script = wrk_script(work, SINGLE_EVENT)
        runs: dict[str, list[Result]] = {s.name: [] for s in servers}
        try:
            for server in servers:  # warm up (the second worker of 2 too)
                run_wrk(server.url, script, 3, args.connections)
            for _ in range(args.rounds):
                for server in servers:
                    runs[server.name].append(
                        run_wrk(server.url, script, args.seconds, args.connections)
                    )
        finally:
            for server in servers:
                server.stop()
    load_after = os.getloadavg()

    medians = {
        name: (
            statistics.median(r.requests_per_s for r in results),
            statistics.median(r.p50_ms for r in results),
            statistics.median(r.p99_ms for r in results),
        )
        for name, results in runs.items()
    }
    one, two = medians["workers=1"], medians["workers=2"]
    print(
        f"wrk, {args.connections} connections, {args.seconds}s x {args.rounds} rounds (medians), "
        f"single events; {os.cpu_count()} cores, load average {load_before[0]:.1f} before, "
        f"{load_after[0]:.1f} after"
    )
    print(f"{'figure':28} {'--workers 1':>12} {'--workers 2':>12} {'ratio':>7}")
    for label, index, fmt in (
        ("requests/s", 0, "{:,.0f}"),
        ("p50 ms", 1, "{:.2f}"),
        ("p99 ms", 2, "{:.2f}"),
    ):
        a, b = one[index], two[index]
        print(f"{label:28} {fmt.format(a):>12} {fmt.format(b):>12} {b / a:>7.2f}")
    for name, results in runs.items():
        print(f"  {name} rounds: " + ", ".join(f"{r.requests_per_s:,.0f}" for r in results))


if __name__ == "__main__":
    main()
