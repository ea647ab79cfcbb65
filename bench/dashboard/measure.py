"""Each dashboard panel's query p50/p95 and the time to a fully drawn first page in Chromium.

Run against a warehouse filled by `bench.dashboard.generate`, as the read-only dashboard role,
with the pages' default filters (the last 7 days, all visitors, bots excluded) and with the
last 30 days. The baseline is the Overview's headline figures computed from raw
`clickstream_events` instead of the derived tables, in the same run.

    .venv/bin/python -m bench.dashboard.measure --database clickstream_bench_10m

`--skip funnels.walk` leaves a statement out of the panels. `--funnels` measures only the
custom funnel walk: the five-step funnel below in each window (one session, 7 days, the
period) over the last 7 and the last 30 days, and for the session window the page's path
(the saved funnels' roll-up, `dashboard/funnel_rows.py`) when the funnel is saved and its
days covered; `--save-funnel` saves it and fills its days first (`funnels add` does the same).

    flock /tmp/bench.lock .venv/bin/python -m bench.dashboard.measure \\
        --database clickstream_bench_10m --funnels --save-funnel --runs 20
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from datetime import timedelta

import psycopg
import uvicorn

from clickstream import utc
from clickstream.dashboard.app import create_app
from clickstream.dashboard.configuration import DashboardSettings
from clickstream.dashboard.filters import Filters
from clickstream.dashboard.funnel_rows import funnel_rows, roll_up_covers
from clickstream.dashboard.queries import panels
from clickstream.dashboard.warehouse import Warehouse
from clickstream.settings import load
from clickstream.warehouse.funnel_days import fill_new
from clickstream.warehouse.funnels import add_funnel, make_funnel, make_step
from clickstream.warehouse.roles import DASHBOARD_ROLE
from tests.browser import chromium

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BASELINE_SQL = """
SELECT count(*), count(DISTINCT client_id), count(DISTINCT session_id),
    count(DISTINCT session_id) FILTER (WHERE event_name = 'purchase'),
    coalesce(sum(order_total) FILTER (WHERE event_name = 'purchase'), 0)
FROM clickstream_events
WHERE event_timestamp >= %(start)s::date AND event_timestamp < %(end)s::date + 1
    AND NOT is_bot
"""
DRAWN_JS = """
() => {
    const pane = document.querySelector('.tab-pane[data-value="overview"]');
    if (!pane || !pane.querySelector('.kpi-row, .error-state')) return false;
    const charts = pane.querySelectorAll('.clickstream-chart');
    if (charts.length === 0) return false;
    for (const c of charts) if (!c.querySelector('.main-svg')) return false;
    return !pane.querySelector('.recalculating')
        && !document.documentElement.classList.contains('shiny-busy');
}
"""


# The custom funnel `funnels.sql`'s `walk` is measured with: five steps over what the
# generator writes (every session starts with a page_view), within one session.
FUNNEL = make_funnel(
    "bench",
    [
        make_step("event", "page_view"),
        make_step("event", "product_view"),
        make_step("event", "add_to_cart"),
        make_step("event", "begin_checkout"),
        make_step("event", "purchase"),
    ],
)

# Each dimension `traffic.sql`'s `breakdown` serves, measured as a panel of its own.
DIMENSIONS = ("channel", "source_medium", "campaign", "device", "browser", "os", "country")


def _panels(skip: Collection[str] = ()) -> list[tuple[str, str, str | None]]:
    """Every (page, statement, dimension) the dashboard runs, but those named in `skip`."""
    found: list[tuple[str, str, str | None]] = []
    for page, name in panels():
        if f"{page}.{name}" in skip:
            continue
        dimensions: tuple[str | None, ...] = DIMENSIONS if name == "breakdown" else (None,)
        found += [(page, name, dimension) for dimension in dimensions]
    return found


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) of `samples`, in the samples' unit."""
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(run: Callable[[], object], runs: int, warmup: int = 2) -> list[float]:
    """Milliseconds of `runs` calls of `run`, after `warmup` untimed calls."""
    for _ in range(warmup):
        run()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        samples.append(1000 * (time.perf_counter() - started))
    return samples


def measure_queries(url: str, runs: int, skip: Collection[str] = ()) -> None:
    """Print p50/p95 per panel (but those in `skip`, as `page.name`) for the last 7 and the
    last 30 days, and the raw baseline."""
    today = utc.now().date()
    week = Filters(today - timedelta(days=6), today)
    month = Filters(today - timedelta(days=29), today)
    warehouse = Warehouse(url)
    # The Retention page's weekly cohorts and the Journeys page around the home page.
    behaviour = {"grain": "week", "periods": 12, "anchor": home_page(warehouse, month)}
    print(f"{'panel':32} {'7d p50':>8} {'7d p95':>8} {'30d p50':>8} {'30d p95':>8}  (ms)")
    worst = 0.0
    try:
        for page, name, dimension in _panels(skip):
            cells = []
            for filters in (week, month):
                extra = filters.params(
                    limit=20,
                    rank="views",
                    event="click",
                    property="element",
                    dimension=dimension,
                    **FUNNEL.params(),
                    **behaviour,
                )
                p50, p95 = percentiles(
                    timed(lambda p=page, n=name, x=extra: warehouse.rows(p, n, x), runs)
                )
                cells += [p50, p95]
            worst = max(worst, cells[1])
            label = f"{page}.{name}" + (f"({dimension})" if name == "breakdown" else "")
            print(f"{label:32} " + " ".join(f"{c:8.1f}" for c in cells))
        print(f"slowest panel p95 over the last 7 days: {worst:.1f} ms (target 150 ms)")
        measure_behaviour(warehouse, runs, behaviour)
        derived = timed(
            lambda: [warehouse.rows("overview", n, week.params()) for n in ("kpis", "visitors")],
            runs,
        )
    finally:
        warehouse.close()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET jit = off")
        raw = timed(lambda: conn.execute(BASELINE_SQL, week.params()).fetchall(), 5, warmup=1)
    d50, r50 = statistics.median(derived), statistics.median(raw)
    print(
        f"overview headline, 7 days: derived tables p50 {d50:.1f} ms; raw events (baseline) "
        f"p50 {r50:.1f} ms; ratio {r50 / d50:.0f}x"
    )


def home_page(warehouse: Warehouse, filters: Filters) -> str:
    """The busiest entry page of `filters`' period: the Journeys page's default step."""
    rows = warehouse.rows("journeys", "entries", filters.params(limit=1))
    return str(rows[0]["page"]) if rows else "/"


def measure_behaviour(warehouse: Warehouse, runs: int, behaviour: dict[str, object]) -> None:
    """Issue 19's targets: 12 weekly cohorts (84 days) on the Retention page, and the
    Journeys page around the home page over 30 days, each every statement the page runs."""
    today = utc.now().date()
    quarter = Filters(today - timedelta(days=83), today)
    month = Filters(today - timedelta(days=29), today)
    cases = (
        ("retention, 12 weekly cohorts", "retention", ("cohorts", "last_day"), quarter),
        ("journeys from the home page, 30 days", "journeys", ("flows",), month),
        (
            "journeys' anchors, entries, exits, 30 days",
            "journeys",
            ("anchors", "entries", "exits"),
            month,
        ),
    )
    for label, page, names, filters in cases:
        params = filters.params(limit=100, **behaviour)
        p50, p95 = percentiles(
            timed(lambda p=page, ns=names, x=params: [warehouse.rows(p, n, x) for n in ns], runs)
        )
        print(f"{label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms (target 500 ms)")


def save_funnel(admin_url: str) -> None:
    """Save `FUNNEL` (window session) in the warehouse and precompute its days, as
    `clickstream funnels add` does; print how long the filling took."""
    with psycopg.connect(admin_url) as conn:
        conn.execute("SET jit = off")
        add_funnel(conn, FUNNEL, replace=True)
        started = time.perf_counter()
        rows = fill_new(conn, FUNNEL)
        seconds = time.perf_counter() - started
        days = conn.execute("SELECT count(*) FROM funnel_days_covered").fetchone()
    covered = days[0] if days else 0
    print(f"saved funnel {FUNNEL.name}: {rows:,} new rows in {seconds:.1f} s ({covered} days)")


def measure_funnels(url: str, runs: int, admin_url: str | None = None) -> None:
    """Print p50/p95 of `funnels.sql`'s `walk` per window, and of the page's path (the saved
    funnel's roll-up, its coverage check included) for the session window, over the last 7
    and 30 days. With `admin_url`, `FUNNEL` is saved and filled first."""
    if admin_url is not None:
        save_funnel(admin_url)
    today = utc.now().date()
    periods = (
        Filters(today - timedelta(days=6), today),
        Filters(today - timedelta(days=29), today),
    )
    windows = (("session", None), ("days", 7), ("none", None))
    warehouse = Warehouse(url)
    print(f"{'custom funnel':40} {'7d p50':>8} {'7d p95':>8} {'30d p50':>8} {'30d p95':>8}  (ms)")
    try:
        for window, days in windows:
            funnel = make_funnel("bench", FUNNEL.steps, window, days)
            walked: list[float] = []
            paged: list[float] = []
            for filters in periods:
                params = filters.params(**funnel.params())
                walked += percentiles(
                    timed(lambda p=params: warehouse.rows("funnels", "walk", p), runs)
                )
                if window == "session" and roll_up_covers(warehouse, params):
                    rows = funnel_rows(warehouse, params)
                    assert rows == warehouse.rows("funnels", "walk", params), "roll-up != walk"
                    paged += percentiles(timed(lambda p=params: funnel_rows(warehouse, p), runs))
            label = f"funnels.walk({funnel.describe_window()})"
            print(f"{label:40} " + " ".join(f"{c:8.1f}" for c in walked))
            if len(paged) == len(walked):
                label = f"page: roll-up({funnel.describe_window()})"
                print(f"{label:40} " + " ".join(f"{c:8.1f}" for c in paged))
            elif window == "session":
                print("page: roll-up: not covered (run with --save-funnel), the page walks")
    finally:
        warehouse.close()


@contextmanager
def serving(url: str) -> Iterator[int]:
    """The dashboard over `url` on a free port, for the duration of the block, sign-in off
    (the first page drawn is what is timed, not the sign-in form)."""
    app = create_app(url, load(DashboardSettings, dashboard_auth="none"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        yield server.servers[0].sockets[0].getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def measure_first_page(url: str, loads: int) -> None:
    """Print the time from navigation to a fully drawn Overview, cold browser cache each time."""
    samples = []
    with serving(url) as port, chromium() as browser:
        for index in range(loads + 1):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            started = time.perf_counter()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_function(DRAWN_JS, timeout=60_000)
            elapsed = time.perf_counter() - started
            context.close()
            if index:  # the very first load also warms the server's imports
                samples.append(elapsed)
            else:
                print(f"first page, first load after start: {elapsed:.2f} s")
    p50, p95 = percentiles(samples)
    print(
        f"first page fully drawn, {loads} cold-cache loads: p50 {p50:.2f} s, p95 {p95:.2f} s "
        "(target 2 s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--database", default="clickstream_bench")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--loads", type=int, default=5)
    parser.add_argument(
        "--funnels",
        action="store_true",
        help="only the custom funnel: the walk per window, and the page's roll-up path",
    )
    parser.add_argument(
        "--save-funnel",
        action="store_true",
        help="with --funnels: save the bench funnel (window session) and fill its days first "
        "(as the admin URL's user: the dashboard role cannot write)",
    )
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        metavar="PAGE.NAME",
        help="leave this statement out of the panels (e.g. funnels.walk, which --funnels times)",
    )
    args = parser.parse_args()
    url = psycopg.conninfo.make_conninfo(args.admin_url, dbname=args.database, user=DASHBOARD_ROLE)
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT count(*) FROM clickstream_events").fetchone()
    print(f"warehouse {args.database}: {row[0] if row else 0:,} events")
    if args.funnels:
        admin = psycopg.conninfo.make_conninfo(args.admin_url, dbname=args.database)
        measure_funnels(url, args.runs, admin if args.save_funnel else None)
        return
    measure_queries(url, args.runs, args.skip)
    measure_first_page(url, args.loads)


if __name__ == "__main__":
    main()
