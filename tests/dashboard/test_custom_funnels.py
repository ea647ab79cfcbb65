"""Custom funnels: the `walk` statement over the `session_steps` roll-up equals a walk in
Python over the raw `clickstream_events` (in-session and N-day windows, steps out of order, a
goal step, filters, the previous period); and in Chromium a funnel built, saved and reloaded
on the page shows those numbers."""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Page, expect
from psycopg.rows import dict_row

from clickstream import utc
from clickstream.dashboard import formatting
from clickstream.dashboard.app import create_app
from clickstream.dashboard.filters import Filters
from clickstream.dashboard.funnel_figures import figures, walk_params
from clickstream.dashboard.warehouse import Warehouse
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.warehouse.funnels import Funnel, list_funnels, make_funnel, parse_step
from clickstream.warehouse.goals import Goal, add_goal, make_goal, url_path
from tests.browser import chromium
from tests.conftest import ServerThread
from tests.dashboard.conftest import _database, as_dashboard, session_cookie, signed_in_settings
from tests.etl.lakefiles import put, record

TIMEOUT = 30_000
SHOP = "https://shop.example"
PRO = make_goal("Pro sign-up", "sign_up", prop="plan=pro")
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def _steps(*texts: str) -> tuple[Any, ...]:
    return tuple(parse_step(t) for t in texts)


SHOPPING = _steps("page:/", "event:product_view", "event:add_to_cart", "event:purchase")
FUNNELS = (
    make_funnel("In session", SHOPPING, "session"),
    make_funnel("Two days", SHOPPING, "days", 2),
    make_funnel("Pro", _steps("page:/", "goal:Pro sign-up"), "none"),
)


def _visit(day: date, hour: int, session: str, client: str, names: Sequence[Any], **who: Any):
    """Events of one session, a minute apart (two and a half for the product view)."""
    at, lines = datetime.combine(day, time(hour), tzinfo=UTC), []
    for name in names:
        fields: dict[str, Any] = {"page_url": f"{SHOP}/p/1"}
        if isinstance(name, tuple):
            name, fields = name
        lines.append(record(name, at, session_id=session, client_id=client, **fields, **who))
        at += timedelta(seconds=150 if name == "product_view" else 60)
    return lines


HOME = ("page_view", {"page_url": f"{SHOP}/?utm_source=x"})
PRO_SIGN_UP = ("sign_up", {"properties": {"plan": "pro"}})
FREE_SIGN_UP = ("sign_up", {"properties": {"plan": "free"}})


def _lines(today: date) -> list[dict[str, Any]]:
    """Two weeks of hand-made sessions: each case a funnel can get right or wrong."""
    d = [today - timedelta(days=n) for n in range(14)]
    full = (HOME, "product_view", "add_to_cart", "purchase")
    return [
        *_visit(d[1], 9, "full", "a", full),
        # Cart before product: the product view does not count, nor what follows.
        *_visit(d[1], 10, "swapped", "b", (HOME, "add_to_cart", "product_view", "purchase")),
        # Client c: two steps on one day, the rest the next: in one session it stops at two,
        # within two days it completes.
        *_visit(d[2], 11, "c-first", "c", (HOME, "product_view")),
        *_visit(d[1], 8, "c-second", "c", ("add_to_cart", "purchase")),
        # Client e: home five days before the rest, too late for a two-day window.
        *_visit(d[5], 12, "e-first", "e", (HOME,)),
        *_visit(d[1], 12, "e-second", "e", ("product_view", "add_to_cart")),
        # Sign-ups: a pro plan after the home page (a goal), a free one, a pro before home.
        *_visit(d[3], 13, "pro", "f", (HOME, "product_view", PRO_SIGN_UP)),
        *_visit(d[3], 14, "free", "g", (HOME, FREE_SIGN_UP)),
        *_visit(d[3], 15, "pro-first", "h", (PRO_SIGN_UP, HOME)),
        *_visit(d[2], 15, "member", "i", full, user_login_state="logged_in", user_id="u1"),
        *_visit(d[2], 16, "robot", "j", full, user_agent=BOT),
        *_visit(d[2], 17, "other-site", "k", full, site_id="blog"),
        # The previous period.
        *_visit(d[9], 9, "old-full", "a", full),
        *_visit(d[10], 9, "old-part", "m", (HOME, "product_view")),
        *_visit(d[11], 9, "old-pro", "n", (HOME, PRO_SIGN_UP)),
    ]


@pytest.fixture(scope="module")
def loaded(embedded_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A warehouse loaded by the real ETL from `_lines`, with the goal defined first."""
    today = utc.now().date()
    lake = open_lake(str(tmp_path_factory.mktemp("funnel-lake")))
    lines = _lines(today)
    by_day: dict[str, list[dict[str, Any]]] = {}
    for line in lines:
        by_day.setdefault(line["event_timestamp"][:10], []).append(line)
    for n, day_lines in enumerate(by_day.values(), start=1):
        put(lake, datetime.fromisoformat(day_lines[0]["event_timestamp"]), day_lines, seq=n)
    for url in _database(embedded_admin_url):
        with psycopg.connect(url) as conn:
            add_goal(conn, PRO)
        assert run_etl(url, lake).status == "succeeded"
        yield url


def _matches(step: Any, event: dict[str, Any], goals: dict[str, Goal]) -> bool:
    if step.kind == "event":
        return bool(event["event_name"] == step.value)
    if step.kind == "page":
        return event["event_name"] == "page_view" and url_path(event["page_url"]) == step.value
    goal = goals[step.value]
    return goal.matches(event["event_name"], event["page_url"], event["properties"])


def expected(url: str, funnel: Funnel, filters: Filters) -> dict[str, list[Any]]:
    """Per period, each step's (units reaching it, median seconds since the step before) by a
    walk over the raw events: a step counts at the unit's first time of it in the period."""
    with psycopg.connect(url) as conn, conn.cursor(row_factory=dict_row) as cur:
        events = cur.execute(
            "SELECT * FROM clickstream_events ORDER BY event_timestamp, event_id"
        ).fetchall()
    for e in events:
        e["day"] = e["event_timestamp"].astimezone(UTC).date()
    sessions: dict[Any, list[dict[str, Any]]] = {}
    for e in events:
        sessions.setdefault((e["site_id"], e["day"], e["session_id"]), []).append(e)
    kept = [
        e
        for evs in sessions.values()
        if (filters.include_bots or not any(e["is_bot"] for e in evs))
        and (
            filters.login_state is None
            or filters.login_state
            == ("logged_in" if any(e["user_login_state"] == "logged_in" for e in evs) else "guest")
        )
        for e in evs
    ]
    result = {}
    for name, period in (("current", filters), ("previous", filters.previous())):
        units: dict[Any, list[dict[str, Any]]] = {}
        for e in kept:
            if period.start <= e["day"] <= period.end:
                unit = e["session_id"] if funnel.window == "session" else e["client_id"]
                key = (e["site_id"], e["day"] if funnel.window == "session" else None, unit)
                units.setdefault(key, []).append(e)
        reached: list[list[float]] = [[] for _ in funnel.steps]
        for evs in units.values():
            firsts = []
            for step in funnel.steps:
                times = [e["event_timestamp"] for e in evs if _matches(step, e, {PRO.name: PRO})]
                firsts.append(min(times) if times else None)
            for n, t in enumerate(firsts):
                if t is None or (n and t < firsts[n - 1]):
                    break
                if funnel.window == "days" and t > firsts[0] + timedelta(days=funnel.window_days):
                    break
                reached[n].append((t - firsts[n - 1]).total_seconds() if n else 0.0)
        result[name] = [(len(r), statistics.median(r) if r and n else None)
                        for n, r in enumerate(reached)]  # fmt: skip
    return result


@pytest.mark.parametrize(("login", "bots"), [(None, False), ("guest", True), ("logged_in", False)])
def test_walk_equals_a_walk_over_the_raw_events(loaded: str, login: str | None, bots: bool) -> None:
    today = utc.now().date()
    filters = Filters(today - timedelta(days=6), today, login, bots)
    warehouse = Warehouse(as_dashboard(loaded))
    try:
        for funnel in FUNNELS:
            rows = warehouse.rows("funnels", "walk", walk_params(funnel, filters))
            want = expected(loaded, funnel, filters)
            for period in ("current", "previous"):
                got = [(f.entrants, f.median_seconds) for f in figures(rows, funnel.steps, period)]
                assert got == want[period], (funnel.name, period)
    finally:
        warehouse.close()


def test_windows_order_goals_and_sites_give_the_hand_counted_numbers(loaded: str) -> None:
    # The same cases counted by hand, so the reference walk cannot be wrong with the roll-up.
    today = utc.now().date()
    filters = Filters(today - timedelta(days=6), today)
    warehouse = Warehouse(as_dashboard(loaded))
    try:
        shown = {}
        for funnel in FUNNELS:
            rows = warehouse.rows("funnels", "walk", walk_params(funnel, filters))
            shown[funnel.name] = [f.entrants for f in figures(rows, funnel.steps, "current")]
        only_blog = walk_params(FUNNELS[0], Filters(filters.start, filters.end, sites=("blog",)))
        blog = figures(warehouse.rows("funnels", "walk", only_blog), SHOPPING, "current")
    finally:
        warehouse.close()
    # Sessions with home: full, swapped, c-first, e-first, pro, free, pro-first, member,
    # other-site (not the robot); a product view after it: all but e-first, free, pro-first;
    # then the cart: full, member, other-site (swapped had it before the product view).
    assert shown["In session"] == [9, 6, 3, 3]
    # Visitors a, b, c, e, f, g, h, i, k; c completes over two days; e views the product
    # four days after home, too late.
    assert shown["Two days"] == [9, 6, 4, 4]
    # Home then a pro sign-up: f only (h signed up before home; g chose free).
    assert shown["Pro"] == [9, 1]
    assert [f.entrants for f in blog] == [1, 1, 1, 1]


# --- The page in Chromium ---------------------------------------------------------------


def _add_step(page: Page, kind: str, value: str) -> None:
    page.select_option("#funnels-kind", kind)
    # The server answers a new kind with its values (and an empty box): typed before that
    # answer, the value could be cleared, or its dropdown reopened over the button.
    page.wait_for_function(
        "v => { const s = document.getElementById('funnels-value').selectize;"
        " return s !== undefined && v in s.options; }",
        arg=value,
        timeout=TIMEOUT,
    )
    box = page.locator("#funnels-value-selectized")
    box.fill(value)
    box.press("Enter")
    box.press("Escape")  # close the dropdown, which can lie over the button
    box.blur()
    page.click("#funnels-add_step")
    expect(page.locator(".funnel-steps li").last).to_contain_text(value, timeout=TIMEOUT)


@pytest.mark.browser
def test_a_funnel_built_on_the_page_is_saved_reloaded_and_shows_the_walks_numbers(
    loaded: str,
) -> None:
    funnel = FUNNELS[1]
    today = utc.now().date()
    want = expected(loaded, funnel, Filters(today - timedelta(days=6), today))
    with (
        ServerThread(create_app(as_dashboard(loaded), signed_in_settings())) as server,
        chromium() as browser,
    ):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_cookies([session_cookie(loaded, server.url)])  # type: ignore[list-item]
        page = context.new_page()
        page.goto(server.url + "/")
        page.click(".navbar a[data-value='funnels']")
        for step in funnel.steps:
            _add_step(page, step.kind, step.value)
        page.select_option("#funnels-window", "days")
        page.fill("#funnels-window_days", "2")
        page.fill("#funnels-name", "")
        page.click("#funnels-save")
        expect(page.locator("#funnel-message")).to_contain_text("funnel name is empty")
        page.fill("#funnels-name", "Checkout in two days")
        page.click("#funnels-save")
        expect(page.locator("#funnel-message")).to_have_text(
            "Saved funnel Checkout in two days.", timeout=TIMEOUT
        )
        page.click("#funnels-clear")
        expect(page.locator("#funnels-step_list")).to_contain_text("No steps yet")
        page.select_option("#funnels-saved", "Checkout in two days", timeout=TIMEOUT)
        page.click("#funnels-load")
        cells = page.locator("#funnels-steps_table td[data-col='entrants']")
        expect(cells).to_have_text(
            [formatting.count(n) for n, _ in want["current"]], timeout=TIMEOUT
        )
        previous = page.locator("#funnels-steps_table td[data-col='previous_entrants']")
        expect(previous).to_have_text([formatting.count(n) for n, _ in want["previous"]])
        medians = page.locator("#funnels-steps_table td[data-col='median']")
        expect(medians).to_have_text(
            [
                formatting.MISSING if m is None else formatting.duration(m)
                for _, m in want["current"]
            ]
        )
        context.close()
    with psycopg.connect(loaded) as conn:
        saved = list_funnels(conn)
    assert [(f.name, f.steps, f.window, f.window_days) for f in saved] == [
        ("Checkout in two days", funnel.steps, "days", 2)
    ]
