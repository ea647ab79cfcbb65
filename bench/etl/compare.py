"""ETL throughput of this tree against a baseline tree (another checkout), side by side.

Each repetition loads the same lake into a fresh warehouse once with each tree's code, in
alternating order, each in its own process (`bench.etl.once etl`), and prints both rates; then
the medians and the ratio (this tree / baseline). The machine is shared, so the load average is
printed with every line. Both trees run with this interpreter, each migrating its own database.

Usage: python -m bench.etl.compare --baseline /path/to/main-checkout [--events 300000]
           [--repeat 3] [--pg-url URL] [--lake DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

from bench.etl.generate import generate

ROOT = Path(__file__).resolve().parents[2]
MIGRATE = "import sys; from clickstream.warehouse.migrate import migrate; migrate(sys.argv[1])"


def _fresh_database(admin_url: str, tree: Path) -> str:
    name = f"cs_cmp_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(admin_url, dbname=name)
    subprocess.run([sys.executable, "-c", MIGRATE, url], cwd=tree, check=True)
    return url


def _drop_database(admin_url: str, url: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(str(name))))


def _rate(tree: Path, admin_url: str, lake: Path) -> tuple[float, float]:
    """Events per second of one ETL run of `tree`'s code over `lake` into a fresh warehouse,
    and the CPU seconds (user + system) the ETL's process spent."""
    url = _fresh_database(admin_url, tree)
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bench.etl.once", "etl", url, str(lake)],
            cwd=tree,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        assert proc.stdout is not None
        out = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"the ETL of {tree} failed")
    finally:
        _drop_database(admin_url, url)
    rows, seconds = out.split()[-2:]
    return int(rows) / float(seconds), usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", type=Path, required=True)
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--lake", type=Path, default=Path("/tmp/cs-compare-lake"))
    args = parser.parse_args()
    if not (args.lake / "events").exists():
        files = generate(args.lake, args.events)
        print(f"generated {args.events} events in {files} files under {args.lake}")
    trees = {"baseline": args.baseline.resolve(), "this": ROOT}
    rates: dict[str, list[float]] = {name: [] for name in trees}
    cpu: dict[str, list[float]] = {name: [] for name in trees}
    for n in range(args.repeat):
        order = list(trees) if n % 2 == 0 else list(reversed(trees))
        for name in order:
            load = os.getloadavg()[0]
            rate, seconds = _rate(trees[name], args.pg_url, args.lake)
            rates[name].append(rate)
            cpu[name].append(seconds)
            print(
                f"rep {n + 1} {name}: {rate:,.0f} events/s, ETL process CPU {seconds:.2f} s "
                f"(load {load:.2f})",
                flush=True,
            )
    base, this = (statistics.median(rates[name]) for name in ("baseline", "this"))
    base_cpu, this_cpu = (statistics.median(cpu[name]) for name in ("baseline", "this"))
    print(f"\nmedians over {args.repeat} runs: baseline {base:,.0f} events/s, this {this:,.0f}")
    print(f"ratio this / baseline (events/s): {this / base:.3f}")
    print(f"ETL process CPU: baseline {base_cpu:.2f} s, this {this_cpu:.2f} s")


if __name__ == "__main__":
    main()
