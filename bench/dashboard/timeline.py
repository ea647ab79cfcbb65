"""Where the first page's time goes: a timeline of one cold-cache load of the Overview.

Prints, in milliseconds from navigation, when the HTML arrived, when each large script was
fetched, when Shiny's websocket opened, when the server sent the KPIs and the charts'
figures, when each chart's SVG appeared and when the page was fully drawn (`measure.DRAWN_JS`);
then, from a Chromium trace of a second load, how long the renderer's main thread spent
compiling and evaluating each script, and its busiest tasks.

    .venv/bin/python -m bench.dashboard.timeline --database clickstream_bench_10m
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import psycopg
from playwright.sync_api import Browser, Page

from bench.dashboard.measure import DEFAULT_ADMIN_URL, DRAWN_JS, serving
from clickstream.warehouse.roles import DASHBOARD_ROLE
from tests.browser import chromium

# Runs before any of the page's scripts: notes when Shiny connects, what arrives over the
# websocket and when each chart's SVG appears, in `window.__marks` as [ms, label].
PROBE_JS = """
(() => {
    const marks = window.__marks = [];
    const mark = (label) => marks.push([performance.now(), label]);
    const Native = window.WebSocket;
    window.WebSocket = function (...args) {
        const ws = new Native(...args);
        mark('websocket created');
        ws.addEventListener('open', () => mark('websocket open'));
        let first = true;
        ws.addEventListener('message', (event) => {
            const text = typeof event.data === 'string' ? event.data : '';
            if (first) { first = false; mark('first websocket message'); }
            else mark(`message ${text.length} B ${text.slice(0, 90)}`);
            if (text.includes('"values"') && text.includes('overview-kpis'))
                mark('KPIs arrive');
        });
        const send = ws.send.bind(ws);
        let sent = 0;
        ws.send = (data) => {
            const text = String(data);
            const what = `send ${text.length} B ${text.slice(0, 90)}`;
            mark(sent++ === 0 ? 'first websocket send (init)' : what);
            send(data);
        };
        return ws;
    };
    Object.assign(window.WebSocket, Native);
    window.WebSocket.prototype = Native.prototype;
    document.addEventListener('DOMContentLoaded', () => {
        mark('DOMContentLoaded');
        window.jQuery(document).on('shiny:busy', () => mark('shiny busy'));
        window.jQuery(document).on('shiny:idle', () => mark('shiny idle'));
    });
    window.addEventListener('load', () => mark('load'));
    const seen = new Set();
    new MutationObserver(() => {
        for (const svg of document.querySelectorAll('.clickstream-chart .main-svg')) {
            const id = svg.closest('.clickstream-chart').id;
            if (!seen.has(id)) { seen.add(id); mark(`SVG drawn: ${id}`); }
        }
        if (!seen.has('kpis') && document.querySelector('#overview-kpis .kpi-row')) {
            seen.add('kpis'); mark('KPI cards in the DOM');
        }
    }).observe(document, { childList: true, subtree: true });
})();
"""
RESOURCES_JS = """
() => performance.getEntriesByType('resource').concat(performance.getEntriesByType('navigation'))
    .map(e => [e.name, e.startTime, e.responseStart, e.responseEnd, e.encodedBodySize || 0])
"""
TRACE_CATEGORIES = [
    "devtools.timeline",
    "disabled-by-default-devtools.timeline",
    "v8",
    "v8.execute",
    "disabled-by-default-v8.compile",
    "blink.user_timing",
    "loading",
]


def _load(browser: Browser, port: int, trace: Path | None = None) -> tuple[Page, Any, float]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.add_init_script(PROBE_JS)
    page = context.new_page()
    if trace is not None:
        browser.start_tracing(page=page, path=str(trace), categories=TRACE_CATEGORIES)
    page.goto(f"http://127.0.0.1:{port}/")
    page.wait_for_function(DRAWN_JS, timeout=60_000, polling="raf")
    drawn = page.evaluate("performance.now()")
    if trace is not None:
        browser.stop_tracing()
    return page, context, drawn


def print_marks(page: Page, drawn: float) -> None:
    """The page's own marks and its large resources, in time order."""
    rows: list[tuple[float, str]] = []
    for name, start, first_byte, end, size in page.evaluate(RESOURCES_JS):
        short = name.rsplit("/", 1)[-1] or "/ (HTML)"
        if size >= 100_000 or short == "/ (HTML)" or "plotly" in name:
            rows.append((start, f"fetch start {short} ({size / 1e6:.2f} MB)"))
            rows.append((end, f"fetch end   {short} (first byte at {first_byte:.0f})"))
    rows += [(ms, label) for ms, label in page.evaluate("window.__marks")]
    rows.append((drawn, "fully drawn (DRAWN_JS true)"))
    for ms, label in sorted(rows):
        print(f"{ms:8.0f}  {label}")


def _main_thread(events: list[dict[str, Any]]) -> tuple[int, int] | None:
    for event in events:
        if event.get("name") == "thread_name" and event["args"].get("name") == "CrRendererMain":
            pid, tid = event["pid"], event["tid"]
            # The page's renderer is the one that evaluated scripts.
            if any(e.get("pid") == pid and e.get("name") == "EvaluateScript" for e in events):
                return pid, tid
    return None


def _describe(event: dict[str, Any]) -> str:
    data = event.get("args", {}).get("data", {}) or {}
    where = data.get("functionName") or str(data.get("url") or "").rsplit("/", 1)[-1]
    return f"{event['name']}({where})" if where else str(event["name"])


def print_trace(path: Path) -> None:
    """Main-thread compile/evaluate time per script and the longest tasks, from a trace."""
    events = json.loads(path.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    thread = _main_thread(events)
    if thread is None:
        print("no renderer main thread in the trace")
        return
    main = [
        e
        for e in events
        if (e.get("pid"), e.get("tid")) == thread and e.get("ph") == "X" and "dur" in e
    ]
    start = min(e["ts"] for e in events if e.get("name") == "navigationStart" or e is main[0])
    per_script: dict[str, float] = defaultdict(float)
    for e in main:
        if e["name"] in ("EvaluateScript", "v8.compile", "v8.compileModule", "v8.evaluateModule"):
            data = e.get("args", {}).get("data", {}) or e.get("args", {})
            url = str(data.get("url") or data.get("fileName") or "?").rsplit("/", 1)[-1]
            per_script[f"{e['name']:18} {url[:60]}"] += e.get("tdur", e["dur"]) / 1000
    print("main thread CPU, per script (ms):")
    for label, ms in sorted(per_script.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {ms:8.0f}  {label}")
    compiling: dict[str, float] = defaultdict(float)
    for e in main:
        if e["name"] in ("V8.ParseFunction", "V8.CompileCode", "V8.CompileLazy"):
            compiling[e["name"]] += e.get("tdur", e["dur"]) / 1000
    print("main thread CPU compiling lazily (ms):", dict(compiling))
    tasks = [e for e in main if e["name"] in ("RunTask", "ThreadControllerImpl::RunTask")]
    busy = sum(e["dur"] for e in tasks) / 1000
    cpu = sum(e.get("tdur", e["dur"]) for e in tasks) / 1000
    print(f"main thread in tasks: {busy:.0f} ms wall, {cpu:.0f} ms CPU; longest (start, ms):")
    for e in sorted(sorted(tasks, key=lambda e: -e["dur"])[:16], key=lambda e: e["ts"]):
        inner = [
            _describe(i)
            for i in main
            if e["ts"] <= i["ts"] < e["ts"] + e["dur"] and i is not e and i["dur"] > e["dur"] / 4
        ]
        print(f"  {(e['ts'] - start) / 1000:8.0f} {e['dur'] / 1000:7.0f}  {', '.join(inner[:6])}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--database", default="clickstream_bench")
    parser.add_argument("--loads", type=int, default=2, help="untraced loads to print")
    parser.add_argument("--trace", type=Path, help="keep the Chromium trace in this file")
    args = parser.parse_args()
    url = psycopg.conninfo.make_conninfo(args.admin_url, dbname=args.database, user=DASHBOARD_ROLE)
    with serving(url) as port, chromium() as browser:
        _load(browser, port)[1].close()  # warms the server's imports
        for index in range(args.loads):
            page, context, drawn = _load(browser, port)
            print(f"--- load {index + 1} (cold browser cache)")
            print_marks(page, drawn)
            context.close()
        with tempfile.TemporaryDirectory() as folder:
            trace = args.trace or Path(folder) / "trace.json"
            page, context, drawn = _load(browser, port, trace)
            print(f"--- traced load (tracing slows it): fully drawn at {drawn:.0f} ms")
            context.close()
            print_trace(trace)


if __name__ == "__main__":
    main()
