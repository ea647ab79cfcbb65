"""The Events page in a real Chromium: its event counts, property breakdown and goal
conversions are those of the records this test wrote to the lake, loaded by the real ETL."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
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
from clickstream.warehouse.goals import add_goal, make_goal
from tests.browser import chromium
from tests.conftest import ServerThread
from tests.dashboard.conftest import _database, as_dashboard, session_cookie, signed_in_settings
from tests.etl.lakefiles import put, record

pytestmark = pytest.mark.browser
TIMEOUT = 30_000
SHOP = "https://shop.example"
GOALS = (
    make_goal("Pro sign-up", "sign_up", prop="plan=pro"),
    make_goal("Thanks page", "page_view", path="/thanks"),
)


def _records(at: datetime, sessions: int, tag: str) -> list[dict[str, Any]]:
    """`sessions` visits at `at`: page views, a thank-you page, sign-ups and video plays."""
    lines = []
    for n in range(sessions):
        who = {"client_id": f"{tag}-c{n % 4}", "session_id": f"{tag}-s{n}"}
        t = at + timedelta(minutes=n)
        lines.append(record("page_view", t, page_url=f"{SHOP}/", **who))
        if n % 2 == 0:
            lines.append(record("page_view", t, page_url=f"{SHOP}/thanks?ref=1", **who))
        if n % 3 != 2:
            plan = "pro" if n % 3 == 0 else "free"
            lines.append(record("sign_up", t, properties={"plan": plan, "seats": n}, **who))
        if n % 2:
            lines.append(record("video_play", t, properties={"video": "intro"}, **who))
    return lines


@pytest.fixture(scope="module")
def sent(embedded_admin_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A warehouse loaded from this period's records (yesterday) and the previous period's
    (eight days ago), with two goals; the records of the current period."""
    yesterday = datetime.combine(utc.now().date() - timedelta(days=1), time(12), tzinfo=UTC)
    now, before = _records(yesterday, 9, "now"), _records(yesterday - timedelta(days=7), 5, "b")
    lake_dir: Path = tmp_path_factory.mktemp("events-lake")
    lake = open_lake(str(lake_dir))
    put(lake, yesterday, now)
    put(lake, yesterday - timedelta(days=7), before)
    for url in _database(embedded_admin_url):
        with psycopg.connect(url) as conn:
            for goal in GOALS:
                add_goal(conn, goal)
        assert run_etl(url, lake).status == "succeeded"
        yield url, now, before


@pytest.fixture(scope="module")
def page(sent: Any) -> Iterator[Page]:
    url = sent[0]
    with (
        ServerThread(create_app(as_dashboard(url), signed_in_settings())) as server,
        chromium() as browser,
    ):
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_cookies([session_cookie(url, server.url)])  # type: ignore[list-item]
        opened = context.new_page()
        opened.goto(server.url + "/")
        opened.click(".navbar a[data-value='events']")
        yield opened
        context.close()


def _cells(page: Page, output: str) -> dict[str, list[str]]:
    rows = page.locator(f"#events-{output} tbody tr")
    found = {}
    for i in range(rows.count()):
        texts = rows.nth(i).locator("td").all_inner_texts()
        found[texts[0]] = texts[1:]
    return found


def test_events_page_counts_each_event_as_sent(page: Page, sent: Any) -> None:
    _, now, before = sent
    counts, previous = (
        Counter(r["event_name"] for r in now),
        Counter(r["event_name"] for r in before),
    )
    visitors = {
        name: len({r["client_id"] for r in now if r["event_name"] == name}) for name in counts
    }
    expect(page.locator("#events-kpis [data-kpi='events'] .kpi-value")).to_have_text(
        formatting.count(len(now)), timeout=TIMEOUT
    )
    expect(page.locator("#events-event_table tbody tr")).to_have_count(len(counts))
    table = _cells(page, "event_table")
    for name, events in counts.items():
        sessions = len({r["session_id"] for r in now if r["event_name"] == name})
        assert table[name][:2] == [formatting.count(events), formatting.count(previous[name])]
        assert table[name][3:5] == [formatting.count(sessions), formatting.count(visitors[name])]


def test_events_page_breaks_an_event_down_by_a_chosen_property(page: Page, sent: Any) -> None:
    _, now, before = sent
    for event, key in (("sign_up", "seats"), ("video_play", "video"), ("sign_up", "plan")):
        page.select_option("#events-event", event, timeout=TIMEOUT)
        page.select_option("#events-property", key, timeout=TIMEOUT)
        values = Counter(str(r["properties"][key]) for r in now if r["event_name"] == event)
        earlier = Counter(str(r["properties"][key]) for r in before if r["event_name"] == event)
        # Most events first, then most in the previous period, then by value.
        order = sorted(values, key=lambda v: (-values[v], -earlier[v], v))
        cells = page.locator("#events-property_table tbody td[data-col='value']")
        expect(cells).to_have_text(order, timeout=TIMEOUT)
        table = _cells(page, "property_table")
        assert {value: cells[:2] for value, cells in table.items()} == {
            v: [formatting.count(values[v]), formatting.count(earlier[v])] for v in values
        }


def test_events_page_shows_each_goals_completions_and_conversion(page: Page, sent: Any) -> None:
    _, now, before = sent
    expect(page.locator("#events-goal_table tbody tr")).to_have_count(len(GOALS), timeout=TIMEOUT)
    table = _cells(page, "goal_table")
    sessions = len({r["session_id"] for r in now})
    for goal in GOALS:
        done = [r for r in now if goal.matches(r["event_name"], r["page_url"], r["properties"])]
        earlier = [
            r for r in before if goal.matches(r["event_name"], r["page_url"], r["properties"])
        ]
        converting = len({r["session_id"] for r in done})
        assert table[goal.name][:4] == [
            formatting.count(len(done)),
            formatting.count(len(earlier)),
            formatting.count(converting),
            formatting.count(len({r["session_id"] for r in earlier})),
        ]
        assert table[goal.name][4] == formatting.percent(converting / sessions)


def _as_shown(value: str, text: str) -> bool:
    """Whether CSV `value` is what the cell shows as `text` (counts formatted, text as is)."""
    if value == "":
        return text == formatting.MISSING
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        return value[1:] == text  # made inert for spreadsheets, the same text otherwise
    if value.lstrip("-").isdigit():
        return formatting.count(int(value)) == text
    return value == text


def test_csv_download_of_the_event_table_is_the_rows_the_table_shows(
    page: Page, tmp_path: Path
) -> None:
    table = page.locator("#events-event_table")
    expect(table.locator("tbody tr").first).to_be_visible(timeout=TIMEOUT)
    heads = table.locator("thead th").all_inner_texts()
    shown = [row.locator("td").all_inner_texts() for row in table.locator("tbody tr").all()]
    with page.expect_download() as download:
        table.locator("a.csv-download").click()
    saved = tmp_path / "events.csv"
    download.value.save_as(saved)
    parsed = list(csv.reader(io.StringIO(saved.read_bytes().decode(), newline="")))
    assert parsed[0] == heads
    assert len(parsed) - 1 == len(shown) > 1
    for values, texts in zip(parsed[1:], shown, strict=True):
        assert len(values) == len(texts)
        assert all(_as_shown(v, t) for v, t in zip(values, texts, strict=True)), (values, texts)
