"""The Retention and Journeys pages in a real Chromium: their cohorts, shares, next and
previous steps and entry pages equal SQL computed straight from `clickstream_events` over
records this test wrote to the lake and the real ETL loaded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Page, expect

from clickstream import utc
from clickstream.dashboard import formatting
from clickstream.dashboard.app import create_app
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from tests.browser import ARTIFACTS, chromium
from tests.conftest import ServerThread
from tests.dashboard.conftest import _database, as_dashboard, session_cookie, signed_in_settings
from tests.etl.lakefiles import put, record

pytestmark = pytest.mark.browser
TIMEOUT = 30_000
SHOP = "https://shop.example"
HOME = f"{SHOP}/"
BOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"


def _visit(n: int, day: date, visitor: str, buy: bool, **who: Any) -> list[dict[str, Any]]:
    """One session: home, a category or not, a product, and a purchase when `buy`."""
    at = datetime.combine(day, time(9 + n % 10, n % 50), tzinfo=UTC)
    who = {"client_id": visitor, "session_id": f"{visitor}-{day:%m%d}", **who}
    pages = [HOME + "?ref=ad"] + ([f"{SHOP}/c/{n % 2}"] if n % 3 else []) + [f"{SHOP}/p/{n % 4}"]
    lines = [
        record("page_view", at + timedelta(seconds=10 * i), page_url=url, **who)
        for i, url in enumerate(pages)
    ]
    if buy:
        lines.append(record("add_to_cart", at + timedelta(seconds=50), page_url=pages[-1], **who))
        lines.append(record("purchase", at + timedelta(seconds=60), page_url=f"{SHOP}/done", **who))
    return lines


def _records(today: date) -> list[dict[str, Any]]:
    """Twelve visitors first seen on four days two weeks ago, some back a day and a week
    later, some buying; every fifth logged in; a bot on two days (ten days in all, to keep the
    ETL short)."""
    lines: list[dict[str, Any]] = []
    for i in range(12):
        first = today - timedelta(days=(15, 14, 12, 9)[i % 4])
        who = {"user_id": f"u{i}", "user_login_state": "logged_in"} if i % 5 == 0 else {}
        lines += _visit(i, first, f"v{i}", buy=i % 4 == 0, **who)
        later = {0: (1, 7), 1: (7,), 2: ()}[i % 3]
        for k, back in enumerate(later):
            lines += _visit(i + k + 1, first + timedelta(days=back), f"v{i}", i % 4 == 1, **who)
    for d in (15, 8):
        lines += _visit(d, today - timedelta(days=d), "bot", False, user_agent=BOT)
    return lines


@pytest.fixture(scope="module")
def loaded(embedded_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A warehouse loaded by the real ETL from the records above."""
    today = utc.now().date()
    lake_dir: Path = tmp_path_factory.mktemp("behaviour-lake")
    lake = open_lake(str(lake_dir))
    put(lake, datetime.combine(today, time(0), tzinfo=UTC), _records(today))
    for url in _database(embedded_admin_url):
        assert run_etl(url, lake).status == "succeeded"
        yield url


@pytest.fixture(scope="module")
def page(loaded: str) -> Iterator[Page]:
    with (
        ServerThread(create_app(as_dashboard(loaded), signed_in_settings())) as server,
        chromium() as browser,
    ):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_cookies([session_cookie(loaded, server.url)])  # type: ignore[list-item]
        opened = context.new_page()
        opened.goto(server.url + "/")
        opened.select_option("#preset", "30")
        yield opened
        context.close()


# Visitors' days straight from the events: a visitor's first day (and whether it was logged
# in or a bot that day), and each later day it came, bought or not.
VISITOR_DAYS = """
WITH v AS (
    SELECT site_id, client_id, (event_timestamp AT TIME ZONE 'UTC')::date AS day,
        bool_or(user_login_state = 'logged_in') AS logged_in, bool_or(is_bot) AS bot,
        bool_or(event_name = 'purchase') AS bought
    FROM clickstream_events GROUP BY 1, 2, 3
), f AS (
    SELECT DISTINCT ON (site_id, client_id) site_id, client_id, day AS first_day, logged_in, bot
    FROM v ORDER BY site_id, client_id, day
)
SELECT f.client_id, f.first_day, f.logged_in, f.bot, v.day, v.bought
FROM f JOIN v USING (site_id, client_id)
"""


def _expected_triangle(
    url: str, grain: str, measure: str, start: date, login: bool
) -> list[list[str]]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(VISITOR_DAYS).fetchall()
        last = conn.execute(
            "SELECT max((event_timestamp AT TIME ZONE 'UTC')::date) FROM clickstream_events"
        ).fetchone()[0]  # type: ignore[index]
    size = 7 if grain == "week" else 1

    def bucket(day: date) -> date:
        return day - timedelta(days=day.weekday()) if grain == "week" else day

    members: dict[date, set[str]] = {}
    counted: dict[tuple[date, int], set[str]] = {}
    for client, first, logged_in, bot, day, bought in rows:
        if bot or first < start or (login and not logged_in):
            continue
        cohort = bucket(first)
        members.setdefault(cohort, set()).add(client)
        if measure == "active" or bought:
            period = (bucket(day) - cohort).days // size
            counted.setdefault((cohort, period), set()).add(client)
    table = []
    for cohort in sorted(members):
        n = len(members[cohort])
        cap = 12 if grain == "week" else 30
        cells = [
            formatting.percent(len(counted.get((cohort, k), set())) / n)
            for k in range(min((last - cohort).days // size, cap) + 1)
        ]
        label = f"{cohort:%Y-%m-%d}" + (" week" if grain == "week" else "")
        table.append([label, formatting.count(n), *cells])
    return table


def _table(page: Page, output: str) -> list[list[str]]:
    rows = page.locator(f"#{output} tbody tr")
    return [
        [t for t in rows.nth(i).locator("td").all_inner_texts() if t != formatting.MISSING]
        for i in range(rows.count())
    ]


def test_retention_triangle_equals_cohorts_from_raw_events(page: Page, loaded: str) -> None:
    page.click(".navbar a[data-value='retention']")
    start = utc.now().date() - timedelta(days=29)
    cases = [("week", "active", False), ("day", "purchasing", False), ("week", "active", True)]
    for grain, measure, login in cases:
        page.check(f"#retention-grain input[value='{grain}']")
        page.check(f"#retention-measure input[value='{measure}']")
        page.check(f"#login_state input[value='{'logged_in' if login else 'all'}']")
        expected = _expected_triangle(loaded, grain, measure, start, login)
        first_cells = page.locator("#retention-cohort_table tbody tr td:first-child")
        expect(first_cells).to_have_text([row[0] for row in expected], timeout=TIMEOUT)
        expect(page.locator("#retention-cohort_table tbody tr").first).to_contain_text(
            expected[0][2], timeout=TIMEOUT
        )
        assert _table(page, "retention-cohort_table") == expected, (grain, measure, login)
    page.check("#login_state input[value='all']")
    expect(page.locator("#retention-curve .main-svg").first).to_be_attached(timeout=TIMEOUT)
    page.screenshot(path=str(ARTIFACTS / "retention.png"), full_page=True)


STEPS = """
WITH e AS (
    SELECT session_id, event_timestamp, event_id,
        CASE WHEN event_name = 'page_view' THEN split_part(page_url, '?', 1)
            ELSE event_name END AS step
    FROM clickstream_events WHERE NOT is_bot
), c AS (
    SELECT *, lag(step) OVER (PARTITION BY session_id ORDER BY event_timestamp, event_id)
        AS prev
    FROM e
)
SELECT session_id, step,
    lead(step, 1) OVER w AS n1, lead(step, 2) OVER w AS n2, lead(step, 3) OVER w AS n3,
    lag(step, 1) OVER w AS p1
FROM c WHERE prev IS DISTINCT FROM step
WINDOW w AS (PARTITION BY session_id ORDER BY event_timestamp, event_id)
"""
ENTRIES = """
SELECT split_part(page_url, '?', 1) AS page, count(*) AS sessions,
    count(*) FILTER (WHERE bought) AS bought
FROM (
    SELECT DISTINCT ON (session_id) session_id, page_url,
        bool_or(event_name = 'purchase') OVER (PARTITION BY session_id) AS bought
    FROM clickstream_events WHERE NOT is_bot AND page_url IS NOT NULL
    ORDER BY session_id, event_timestamp, event_id
) AS s
GROUP BY 1 ORDER BY 2 DESC, 1
"""


def _ranked(counts: dict[str, int], total: int, depth: int) -> list[list[str]]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:5]
    return [[str(depth), s, formatting.count(n), formatting.percent(n / total)] for s, n in ranked]


def test_journeys_from_home_equal_steps_and_entries_from_raw_events(
    page: Page, loaded: str
) -> None:
    with psycopg.connect(loaded) as conn:
        steps = conn.execute(STEPS).fetchall()
        entries = conn.execute(ENTRIES).fetchall()
    home = [s for s in steps if s[1] == HOME]
    after: list[list[str]] = []
    for depth in (1, 2, 3):
        counts: dict[str, int] = {}
        for s in home:
            before_exit = s[1 + depth - 1] if depth > 1 else s[1]
            if before_exit is None:
                continue
            nxt = s[1 + depth] or "(exit)"
            counts[nxt] = counts.get(nxt, 0) + 1
        after += _ranked(counts, len(home), depth)
    previous: dict[str, int] = {}
    for s in home:
        previous[s[5] or "(entrance)"] = previous.get(s[5] or "(entrance)", 0) + 1

    page.click(".navbar a[data-value='journeys']")
    expect(page.locator("#journeys-anchor")).to_have_value(HOME, timeout=TIMEOUT)
    expect(page.locator("#journeys-next_table tbody tr")).to_have_count(len(after), timeout=TIMEOUT)
    assert _table(page, "journeys-next_table") == after
    assert _table(page, "journeys-previous_table")[: len(previous)] == _ranked(
        previous, len(home), 1
    )
    assert _table(page, "journeys-entry_table") == [
        [p, formatting.count(n), formatting.percent(b / n)] for p, n, b in entries
    ]
    sessions, bought = sum(e[1] for e in entries), sum(e[2] for e in entries)
    expect(page.locator("#journeys-kpis [data-kpi='sessions'] .kpi-value")).to_have_text(
        formatting.count(sessions)
    )
    expect(page.locator("#journeys-kpis [data-kpi='conversion'] .kpi-value")).to_have_text(
        formatting.percent(bought / sessions)
    )
    # The flow is drawn as shapes (nodes and bands) on a cartesian plot.
    expect(page.locator("#journeys-flow .main-svg").first).to_be_attached(timeout=TIMEOUT)
    assert (
        page.locator("#journeys-flow path[fill-rule], #journeys-flow .shapelayer path").count() > 0
    )
    page.screenshot(path=str(ARTIFACTS / "journeys.png"), full_page=True)
