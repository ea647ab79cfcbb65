"""ETL engines side by side: DuckDB (the baseline), Spark local[1] and Spark local[2].

One sitting: the same generated lake, a fresh warehouse per engine, each run in a child
process whose peak RSS is the peak of its whole process tree (Spark's JVM and Python workers
included), sampled every 0.2 s. Prints events/s end to end (lake -> rows + derived tables),
the ratio to DuckDB, the Spark scaling slope local[1] -> local[2], and the machine's load.

Usage: python -m bench.etl.engines [--events 1000000] [--repeat 1] [--pg-url URL] [--lake DIR]
       python -m bench.etl.engines --child ENGINE MASTER WAREHOUSE_URL LAKE  (one run)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

from bench.etl.generate import generate
from bench.etl.run import ROOT, _drop_database, _fresh_database, _load_average

ENGINES: Sequence[tuple[str, str, str]] = (
    ("duckdb", "-", "DuckDB"),
    ("spark", "local[1]", "Spark local[1]"),
    ("spark", "local[2]", "Spark local[2]"),
)
PAGE = os.sysconf("SC_PAGE_SIZE")


def child(engine: str, master: str, url: str, lake: str) -> None:
    """One run in this process; prints `<received> <seconds>`."""
    from clickstream.etl.run import EtlOptions, run_etl
    from clickstream.lake import open_lake
    from clickstream.ops.logging import configure_logging

    configure_logging("warning", component="bench")
    options = EtlOptions(engine=engine)
    if engine == "spark":
        from clickstream.etl.spark.session import session

        cores = int(master.removeprefix("local[").removesuffix("]"))
        session(
            master,
            "clickstream-bench",
            {"spark.sql.shuffle.partitions": str(4 * cores), "spark.driver.memory": "4g"},
        )
    started = time.perf_counter()
    result = run_etl(url, open_lake(lake), trigger="bench", options=options)
    print(result.received, time.perf_counter() - started)


def _tree_rss(root: int) -> int:
    """Bytes resident in `root` and all its descendants now."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            statm = Path(f"/proc/{entry}/statm").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        parents[int(entry)] = int(fields[1])
        rss[int(entry)] = int(statm.split()[1]) * PAGE
    tree, frontier = {root}, [root]
    while frontier:
        pid = frontier.pop()
        for child_pid, parent in parents.items():
            if parent == pid and child_pid not in tree:
                tree.add(child_pid)
                frontier.append(child_pid)
    return sum(rss.get(pid, 0) for pid in tree)


def measure(engine: str, master: str, url: str, lake: Path) -> tuple[int, float, float]:
    """(events, seconds, peak tree RSS in MB) of one child run."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.etl.engines", "--child", engine, master, url, str(lake)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
    )
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], _tree_rss(proc.pid))
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, _ = proc.communicate()
    sampler.join()
    if proc.returncode:
        raise SystemExit(f"{engine} {master} failed ({proc.returncode})")
    rows, seconds = out.decode().split()[-2:]
    return int(rows), float(seconds), peak[0] / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--lake", type=Path, default=Path("/tmp/cs-bench-lake"))
    parser.add_argument("--child", nargs=4, metavar=("ENGINE", "MASTER", "URL", "LAKE"))
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if not (args.lake / "events").exists():
        files = generate(args.lake, args.events)
        print(f"generated {args.events} events in {files} files under {args.lake}")
    rates: dict[str, list[float]] = {label: [] for *_, label in ENGINES}
    for n in range(args.repeat):
        for engine, master, label in ENGINES:
            before = _load_average()
            url = _fresh_database(args.pg_url)
            try:
                events, seconds, rss = measure(engine, master, url, args.lake)
            finally:
                _drop_database(args.pg_url, url)
            rates[label].append(events / seconds)
            print(
                f"rep {n + 1} {label:15} {events} events {seconds:7.1f} s "
                f"{events / seconds:9,.0f} events/s peak RSS {rss:6.0f} MB "
                f"| load average {before} -> {_load_average()}",
                flush=True,
            )
    medians = {label: statistics.median(values) for label, values in rates.items()}
    base = medians["DuckDB"]
    print(f"\nmedians over {args.repeat} sitting(s), on {os.cpu_count()} cores:")
    for label, rate in medians.items():
        print(f"  {label:15} {rate:9,.0f} events/s  ratio to DuckDB {rate / base:.2f}")
    slope = medians["Spark local[2]"] / medians["Spark local[1]"]
    print(f"  Spark scaling local[1] -> local[2]: x{slope:.2f}")


if __name__ == "__main__":
    main()
