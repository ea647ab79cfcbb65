"""ETL benchmark: lake -> committed rows (derived tables included) vs a bare COPY, same run.

For each repetition: a fresh warehouse database, one `run_etl` over the whole lake in a
child process (wall time and peak RSS), then a bare `COPY` of the same rows (exported
beforehand, not timed) into a table with the same columns and the warehouse's event indexes
(primary key on event_id, event_timestamp index), also in a child process, once from CSV and
once from PostgreSQL's binary COPY format (which the ETL itself sends); and a rerun over the
already-loaded lake. Prints medians and the ratios.

Usage: python -m bench.etl.run [--events 1000000] [--repeat 3] [--pg-url URL] [--lake DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg
from psycopg import sql

from bench.etl.generate import generate
from clickstream.etl.copy import copy_out
from clickstream.etl.transform import EVENT_COLUMNS
from clickstream.warehouse.migrate import migrate

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Measure:
    rows: int
    seconds: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.rows / self.seconds


def _child(*args: str) -> Measure:
    """Run `bench.etl.once` and read its line; peak RSS from the kernel's rusage."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "bench.etl.once", *args], cwd=ROOT, stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"bench step {args[0]} failed ({proc.returncode})")
    rows, seconds = out.split()[-2:]
    return Measure(int(rows), float(seconds), usage.ru_maxrss / 1024)


def _load_average() -> str:
    """The 1-minute load average: the machine is shared, so figures come with it."""
    return f"{os.getloadavg()[0]:.2f}"


def _fresh_database(admin_url: str) -> str:
    name = f"cs_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = psycopg.conninfo.make_conninfo(admin_url, dbname=name)
    migrate(url)
    return url


def _drop_database(admin_url: str, url: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(str(name))))


def _export(url: str, csv_file: Path, binary_file: Path) -> None:
    """The stored rows as a CSV file and as a binary COPY file (the ETL loads the latter)."""
    columns = ", ".join(EVENT_COLUMNS)
    # In lake order (file by file, as received), whatever order the ETL stored them in.
    query = f"SELECT {columns} FROM clickstream_events ORDER BY source_file, received_at, event_id"
    with psycopg.connect(url) as conn:
        copy_out(conn, query, csv_file)
        copy_out(conn, query, binary_file)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--lake", type=Path, default=Path("/tmp/cs-bench-lake"))
    args = parser.parse_args()
    if not (args.lake / "events").exists():
        files = generate(args.lake, args.events)
        print(f"generated {args.events} events in {files} files under {args.lake}")

    etl_runs, copies, binary_copies, reruns = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="cs-bench-") as tmp:
        for n in range(args.repeat):
            load_before = _load_average()
            url = _fresh_database(args.pg_url)
            try:
                etl_runs.append(_child("etl", url, str(args.lake)))
                reruns.append(_child("etl", url, str(args.lake)))
                csv_file, binary_file = Path(tmp) / "rows.csv", Path(tmp) / "rows.pgcopy"
                _export(url, csv_file, binary_file)
                copies.append(_child("copy", url, str(csv_file)))
                binary_copies.append(_child("copy", url, str(binary_file)))
            finally:
                _drop_database(args.pg_url, url)
            e, c, b, r = etl_runs[-1], copies[-1], binary_copies[-1], reruns[-1]
            print(
                f"rep {n + 1}: etl {e.rows} rows {e.seconds:.2f} s {e.rate:,.0f}/s "
                f"rss {e.peak_rss_mb:.0f} MB | bare copy csv {c.rows} rows {c.seconds:.2f} s "
                f"{c.rate:,.0f}/s, binary {b.rows} rows {b.seconds:.2f} s {b.rate:,.0f}/s | "
                f"rerun {r.seconds:.2f} s | load average {load_before} -> {_load_average()}",
                flush=True,
            )

    etl_rate = statistics.median(m.rate for m in etl_runs)
    copy_rate = statistics.median(m.rate for m in copies)
    binary_rate = statistics.median(m.rate for m in binary_copies)
    print(f"\nmedians over {args.repeat} runs of {etl_runs[0].rows} events:")
    print(
        f"  end-to-end ETL (lake -> rows + derived): {etl_rate:,.0f} events/s, "
        f"peak RSS {statistics.median(m.peak_rss_mb for m in etl_runs):.0f} MB"
    )
    print(
        f"  bare COPY (CSV) into indexed table:     {copy_rate:,.0f} rows/s, "
        f"peak RSS {statistics.median(m.peak_rss_mb for m in copies):.0f} MB"
    )
    print(f"  bare COPY (binary) into indexed table:  {binary_rate:,.0f} rows/s")
    print(f"  ratio ETL / bare COPY (CSV):            {etl_rate / copy_rate:.2f}")
    print(f"  ratio ETL / bare COPY (binary):         {etl_rate / binary_rate:.2f}")
    print(
        f"  rerun over the loaded lake:             "
        f"{statistics.median(m.seconds for m in reruns):.2f} s"
    )


if __name__ == "__main__":
    main()
