"""ETL benchmark on events posted through the real ingest API, resends and conflicts included.

Builds the set once (unless `--lake` already holds one): the ingest app (`build_app` with
`IngestSettings`) runs in-process under uvicorn on loopback and receives `--events` events in
batches of 100 over HTTP, then `--resent` of them again (same event_id, same payload: the
ETL counts duplicates) and `--conflicting` with the same event_id and another page URL
(conflicts, quarantined with both versions). Stopping the app ships its spool to the lake.

Then, `--repeat` times, alternating, each into a fresh warehouse: the whole
`clickstream etl run` process (wall time of the subprocess, alarms check included), and a
bare `psql \\copy` of the same rows (exported once, as CSV) into a table with the warehouse's
event indexes, also the wall time of the whole `psql` process. Prints medians and the ratio.

Usage: python -m bench.etl.api_set [--events 100000] [--repeat 3] [--lake DIR] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psycopg
import uvicorn

from bench.etl.once import BARE_TABLE
from bench.etl.run import _drop_database, _export, _fresh_database, _load_average
from clickstream.etl.transform import EVENT_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
PER_REQUEST = 100


def _event(number: int, now: datetime) -> dict[str, object]:
    session = number // 8
    event: dict[str, object] = {
        "event_id": str(uuid.uuid4()),
        "event_name": ("page_view", "product_view", "add_to_cart", "page_view")[number % 4],
        "event_timestamp": (now - timedelta(seconds=100_000 - number / 10)).isoformat(),
        "client_id": f"client-{session % 5000}",
        "session_id": f"session-{session}",
        "page_url": f"https://shop.example/p/{number % 500}?ref={number % 7}",
    }
    if number % 4 in (1, 2):
        event["product"] = {"id": str(number % 500), "name": "Teapot", "price": 19.99}
    return event


def build_lake(lake: Path, events: int, resent: int, conflicting: int) -> None:
    """Post the set through the ingest API into `lake`."""
    from clickstream.ingest.configuration import IngestSettings
    from clickstream.ingest.http.app import build_app

    work = Path(tempfile.mkdtemp(prefix="cs-api-set-"))
    settings = IngestSettings(
        lake_url=str(lake),
        data_dir=work,
        node_id="bench",
        ingest_rate_limit_per_second=0,
    )
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(build_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise SystemExit("the ingest app did not start")
        time.sleep(0.05)
    now = datetime.now(UTC)
    sent = [_event(n, now) for n in range(events)]
    rng = random.Random(13)
    again = [dict(e) for e in rng.sample(sent, resent)]
    changed = [
        {**e, "page_url": "https://shop.example/changed"} for e in rng.sample(sent, conflicting)
    ]
    posted = 0
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        for batch in _chunks([*sent, *again, *changed]):
            reply = client.post(
                "/clickstream",
                content=json.dumps(batch),
                headers={"Content-Type": "application/json"},
            )
            if reply.status_code != 202:
                raise SystemExit(f"ingest answered {reply.status_code}: {reply.text[:200]}")
            posted += len(batch)
    server.should_exit = True
    thread.join(timeout=120)
    shutil.rmtree(work, ignore_errors=True)
    files = sum(1 for _ in (lake / "events").rglob("*.ndjson.gz"))
    print(f"posted {posted} events ({resent} resent, {conflicting} conflicting) -> {files} files")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _chunks(events: list[dict[str, object]]) -> list[list[dict[str, object]]]:
    return [events[i : i + PER_REQUEST] for i in range(0, len(events), PER_REQUEST)]


def etl_process(url: str, lake: Path, tree: Path) -> tuple[float, str]:
    """Wall time of one `clickstream etl run` process of the code in `tree` (with its own
    virtualenv), and the ledger line it printed."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CLICKSTREAM_")}
    env = {
        **clean,
        "CLICKSTREAM_WAREHOUSE_URL": url,
        "CLICKSTREAM_LAKE_URL": str(lake),
        "CLICKSTREAM_LOG_LEVEL": "warning",
    }
    started = time.perf_counter()
    done = subprocess.run(
        [str(tree / ".venv" / "bin" / "python"), "-m", "clickstream", "etl", "run"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"etl run failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.stdout.strip().splitlines()[-1]


def bare_copy_process(url: str, rows: Path) -> float:
    """Wall time of one `psql \\copy` process loading `rows` into the indexed bare table."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS bare_events")
        for statement in BARE_TABLE.split(";"):
            conn.execute(statement)  # type: ignore[call-overload]
    columns = ", ".join(EVENT_COLUMNS)
    command = f"\\copy bare_events ({columns}) FROM '{rows}' (FORMAT csv)"
    started = time.perf_counter()
    done = subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", url, "-c", command],
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"psql failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--resent", type=int, default=50)
    parser.add_argument("--conflicting", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pg-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--lake", type=Path, default=Path("/tmp/cs-api-set-lake"))
    parser.add_argument(
        "--before", type=Path, help="another tree (with its .venv) to time too, alternately"
    )
    args = parser.parse_args()
    if not (args.lake / "events").exists():
        build_lake(args.lake, args.events, args.resent, args.conflicting)

    trees = {"after": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    times: dict[str, list[float]] = {name: [] for name in [*trees, "copy"]}
    with tempfile.TemporaryDirectory(prefix="cs-api-bench-") as tmp:
        rows = Path(tmp) / "rows.csv"
        for n in range(args.repeat):
            load_before = _load_average()
            order = list(trees.items()) if n % 2 == 0 else list(reversed(trees.items()))
            line = [f"rep {n + 1}:"]
            for name, tree in order:
                url = _fresh_database(args.pg_url)
                try:
                    seconds, ledger = etl_process(url, args.lake, tree)
                    times[name].append(seconds)
                    line.append(f"etl run ({name}) {seconds:.2f} s [{ledger}] |")
                    if name == "after":
                        if not rows.exists():
                            _export(url, rows, Path(tmp) / "rows.pgcopy")
                        times["copy"].append(bare_copy_process(url, rows))
                        line.append(f"bare psql \\copy {times['copy'][-1]:.2f} s |")
                finally:
                    _drop_database(args.pg_url, url)
            line.append(f"load average {load_before} -> {_load_average()}")
            print(" ".join(line), flush=True)
    copy = statistics.median(times["copy"])
    print(f"\nmedians of {args.repeat}: bare psql \\copy {copy:.2f} s")
    for name in trees:
        etl = statistics.median(times[name])
        print(f"  etl run ({name}): {etl:.2f} s, ratio to the bare copy {etl / copy:.2f}")


if __name__ == "__main__":
    main()
