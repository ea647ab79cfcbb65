"""Benchmark POST /clickstream against a bare ASGI baseline, side by side in the same run.

Both run as one uvicorn worker on loopback; wrk drives them. Prints single-event requests/s,
events/s in 10-event batches, p50/p99 latency at full load and at half the maximum rate, each
server's CPU time per request (all threads, user + system) and peak RSS, with the
ingest/baseline ratio.

Usage: .venv/bin/python -m bench.ingest.run [--seconds 10] [--connections 32] [--rounds 3]

`--live-ab` instead measures what the Live page's counters cost: two ingest servers, one with
`CLICKSTREAM_INGEST_LIVE=false`, driven with single events in alternating order, round after
round in the same sitting; prints each one's median requests/s and CPU per request and the
ratio (live on / live off). `--new-visitors` gives every request a `client_id` not sent before
(the counters' costliest case: each event's visitor is hashed into the sketch); `--control`
runs the same A/B with the counters off in both servers, to show what the order and the two
processes alone make of the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CLIENT_ID = "c-123456"
SINGLE = json.dumps(
    {
        "event_name": "product_view",
        "client_id": CLIENT_ID,
        "session_id": "s-98765",
        "page_url": "https://shop.example/p/42",
        "product": {"id": "42", "name": "Teapot", "price": 19.99, "category": "Kitchen"},
    }
)
BATCH = json.dumps([json.loads(SINGLE)] * 10)


@dataclass
class Result:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    cpu_us: float = 0.0  # the server process's CPU time (all threads, user + system) a request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _lua_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def wrk_script(
    directory: Path, body: str, delay_ms: float = 0.0, new_visitors: bool = False
) -> Path:
    """A wrk script posting `body`; with `new_visitors`, each request's `client_id` is one no
    request sent before (`<thread>-<n>`), the live counters' costliest case."""
    path = directory / f"post-{abs(hash((body, delay_ms, new_visitors)))}.lua"
    lines = [
        'wrk.method = "POST"',
        f"wrk.body = {_lua_text(body)}",
        'wrk.headers["Content-Type"] = "application/json"',
    ]
    if new_visitors:
        head, tail = body.split(CLIENT_ID, 1)
        lines += [
            "local threads, sent = 0, 0",
            "function setup(thread) threads = threads + 1; thread:set('who', 't' .. threads) end",
            "function request()",
            "  sent = sent + 1",
            f"  local body = {_lua_text(head)} .. who .. '-' .. sent .. {_lua_text(tail)}",
            "  return wrk.format(nil, nil, nil, body)",
            "end",
        ]
    if delay_ms:
        lines.append(f"function delay() return {delay_ms:.3f} end")
    path.write_text("\n".join(lines) + "\n")
    return path


def _ms(text: str) -> float:
    match = re.match(r"([\d.]+)(us|ms|s|m)$", text)
    if match is None:
        raise RuntimeError(f"unexpected wrk latency {text!r}")
    value, unit = match.groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def run_wrk(url: str, script: Path, seconds: int, connections: int, threads: int = 2) -> Result:
    out = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "99%" not in out or "Requests/sec" not in out:
        raise RuntimeError(f"wrk gave no figures:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if non2xx:
        print(f"  warning: {non2xx.group(1)} non-2xx responses", file=sys.stderr)
    return Result(rps, p50, p99)


class ServerProcess:
    def __init__(self, name: str, args: list[str], env: dict[str, str], port: int) -> None:
        self.name = name
        self.port = port
        self.process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.post(self.url, content=SINGLE, headers={"content-type": "application/json"})
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"{name} did not start") from None
                time.sleep(0.1)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/clickstream"

    def peak_rss_mb(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
        return kb / 1024

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the server process so far, all its threads."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def measure(self, script: Path, seconds: int, connections: int) -> Result:
        """One `wrk` run against this server, with its CPU time per request."""
        before = self.cpu_seconds()
        result = run_wrk(self.url, script, seconds, connections)
        used = self.cpu_seconds() - before
        result.cpu_us = used / max(1.0, result.requests_per_s * seconds) * 1e6
        return result

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def ingest_server(work: Path, name: str = "ingest", **env: str) -> ServerProcess:
    """`clickstream ingest serve` as one worker on its own folders, with extra `env`."""
    port = free_port()
    ingest_env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "CLICKSTREAM_DATA_DIR": str(work / name / "data"),
        "CLICKSTREAM_LAKE_URL": str(work / name / "lake"),
        "CLICKSTREAM_INGEST_HOST": "127.0.0.1",
        "CLICKSTREAM_INGEST_PORT": str(port),
        "CLICKSTREAM_INGEST_WORKERS": "1",  # against one baseline worker
        "CLICKSTREAM_INGEST_RATE_LIMIT_PER_SECOND": "0",  # one client IP drives the load
        "CLICKSTREAM_LOG_LEVEL": "warning",
        **env,
    }
    return ServerProcess(
        name, [sys.executable, "-m", "clickstream", "ingest", "serve"], ingest_env, port
    )


def start_servers(work: Path) -> list[ServerProcess]:
    python = sys.executable
    base_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    ingest = ingest_server(work)
    bport = free_port()
    baseline_env = {**base_env, "BASELINE_FILE": str(work / "baseline.ndjson")}
    baseline = ServerProcess(
        "baseline",
        [
            python,
            "-m",
            "uvicorn",
            "bench.ingest.baseline:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(bport),
            "--no-access-log",
            "--log-level",
            "warning",
        ],
        baseline_env,
        bport,
    )
    return [ingest, baseline]


def live_ab(
    seconds: int, connections: int, rounds: int, new_visitors: bool, control: bool = False
) -> None:
    """Single-event throughput and CPU with the live counters on and off, alternated (with
    `new_visitors`, every request from a visitor not seen before). `control` turns them off
    in both servers: what the two processes differ by with no difference in code."""
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
        work = Path(tmp)
        servers = [
            ingest_server(work, "live-on", CLICKSTREAM_INGEST_LIVE=str(not control).lower()),
            ingest_server(work, "live-off", CLICKSTREAM_INGEST_LIVE="false"),
        ]
        script = wrk_script(work, SINGLE, new_visitors=new_visitors)
        runs: dict[str, list[Result]] = {s.name: [] for s in servers}
        try:
            for server in servers:  # warm up
                run_wrk(server.url, script, 2, connections)
            for round_ in range(rounds):
                order = servers if round_ % 2 == 0 else servers[::-1]  # drift hits both alike
                for server in order:
                    runs[server.name].append(server.measure(script, seconds, connections))
        finally:
            for server in servers:
                server.stop()
    on, off = runs["live-on"], runs["live-off"]
    who = "a new visitor in every request" if new_visitors else "one visitor"
    print(
        f"wrk, {connections} connections, {seconds}s x {rounds} rounds, alternated (medians), {who}"
    )
    print(f"{'figure':36} {'live on':>12} {'live off':>12} {'ratio':>7}")
    for label, pick, fmt in (
        ("single-event requests/s", lambda r: r.requests_per_s, "{:,.0f}"),
        ("server CPU µs per single request", lambda r: r.cpu_us, "{:.1f}"),
        ("single-event p99 ms (full load)", lambda r: r.p99_ms, "{:.2f}"),
    ):
        a, b = statistics.median(map(pick, on)), statistics.median(map(pick, off))
        print(f"{label:36} {fmt.format(a):>12} {fmt.format(b):>12} {a / b:>7.3f}")
    for name, results in runs.items():
        print(
            f"  {name} requests/s per round: "
            + ", ".join(f"{r.requests_per_s:,.0f}" for r in results)
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3, help="runs per figure; medians reported")
    parser.add_argument(
        "--live-ab", action="store_true", help="live counters on against off (see above)"
    )
    parser.add_argument(
        "--new-visitors", action="store_true", help="with --live-ab: a new client_id per request"
    )
    parser.add_argument(
        "--control", action="store_true", help="with --live-ab: counters off in both (A/A)"
    )
    args = parser.parse_args()
    if args.live_ab:
        live_ab(args.seconds, args.connections, args.rounds, args.new_visitors, args.control)
        return

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        work = Path(tmp)
        servers = start_servers(work)
        single_script = wrk_script(work, SINGLE)
        batch_script = wrk_script(work, BATCH)
        figures: dict[str, dict[str, float]] = {s.name: {} for s in servers}
        try:
            for server in servers:  # warm up
                run_wrk(server.url, single_script, 2, args.connections)
            for label, script in (("single", single_script), ("batch10", batch_script)):
                runs: dict[str, list[Result]] = {s.name: [] for s in servers}
                for _ in range(args.rounds):
                    for server in servers:  # interleaved so drift hits both alike
                        runs[server.name].append(
                            server.measure(script, args.seconds, args.connections)
                        )
                for name, results in runs.items():
                    figures[name][f"{label}_rps"] = statistics.median(
                        r.requests_per_s for r in results
                    )
                    figures[name][f"{label}_p50"] = statistics.median(r.p50_ms for r in results)
                    figures[name][f"{label}_p99"] = statistics.median(r.p99_ms for r in results)
                    figures[name][f"{label}_cpu"] = statistics.median(r.cpu_us for r in results)
            for server in servers:  # half the maximum single-event rate, paced by wrk's delay()
                rate = figures[server.name]["single_rps"] / 2
                connections = 16
                delay = connections * 1000.0 / rate
                # each connection waits `delay` after every response: calibrate once so that
                # connections / (delay + latency) comes out at the target rate
                probe = run_wrk(
                    server.url, wrk_script(work, SINGLE, delay_ms=delay), 3, connections
                )
                delay = max(
                    0.01, probe.requests_per_s * (delay + probe.p50_ms) / rate - probe.p50_ms
                )
                paced = wrk_script(work, SINGLE, delay_ms=delay)
                results = [
                    run_wrk(server.url, paced, args.seconds, connections)
                    for _ in range(args.rounds)
                ]
                figures[server.name]["half_rps"] = statistics.median(
                    r.requests_per_s for r in results
                )
                figures[server.name]["half_p50"] = statistics.median(r.p50_ms for r in results)
                figures[server.name]["half_p99"] = statistics.median(r.p99_ms for r in results)
            for server in servers:
                figures[server.name]["rss_mb"] = server.peak_rss_mb()
        finally:
            for server in servers:
                server.stop()

    ours, base = figures["ingest"], figures["baseline"]
    rows = [
        ("single-event requests/s", "single_rps", "{:,.0f}"),
        ("single-event p50 ms (full load)", "single_p50", "{:.2f}"),
        ("single-event p99 ms (full load)", "single_p99", "{:.2f}"),
        ("events/s in 10-event batches", "batch10_rps", "{:,.0f}"),
        ("10-event batch p99 ms (full load)", "batch10_p99", "{:.2f}"),
        ("server CPU µs per single request", "single_cpu", "{:.0f}"),
        ("server CPU µs per 10-event batch", "batch10_cpu", "{:.0f}"),
        ("requests/s paced at half max rate", "half_rps", "{:,.0f}"),
        ("p50 ms at half max rate", "half_p50", "{:.2f}"),
        ("p99 ms at half max rate", "half_p99", "{:.2f}"),
        ("peak RSS MB", "rss_mb", "{:.0f}"),
    ]
    print(
        f"wrk, {args.connections} connections, {args.seconds}s x {args.rounds} rounds "
        "(medians), one uvicorn worker each"
    )
    print(f"{'figure':36} {'ingest':>12} {'baseline':>12} {'ratio':>7}")
    for label, key, fmt in rows:
        a, b = ours[key], base[key]
        if key == "batch10_rps":
            a, b = a * 10, b * 10
        ratio = a / b if b else float("nan")
        print(f"{label:36} {fmt.format(a):>12} {fmt.format(b):>12} {ratio:>7.2f}")


if __name__ == "__main__":
    main()
