"""Dashboard figures for a small hand-made shop day, worked out in plain Python from the records
this test wrote, and read off the page in Chromium as literal strings.

Nothing here shares a definition with the code under test: no reference SQL over the ETL's
rows, no session key copied from it, no production formatter. The sessions follow the rules
docs/etl.md states (cut at midnight UTC; without a `session_id`, grouped by `client:<id>`; a
bot session when any of its events came from a bot) and the KPIs follow docs/dashboard.md.
The fixture has a session crossing midnight, a session mixing a person's and a bot's events,
and events without a `session_id`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from clickstream.dashboard.app import create_app
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from tests.browser import chromium
from tests.conftest import ServerThread
from tests.dashboard.conftest import _database, as_dashboard
from tests.dashboard.test_dashboard_browser import Visit, _visit
from tests.etl.lakefiles import put, record

pytestmark = pytest.mark.browser

BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
SHOE = {"id": "p1", "name": "Shoe", "category": "shoes", "brand": "Peak", "price": 50.0}
CART_STEPS = ("add_to_cart", "begin_checkout", "purchase")
FUNNEL = ("page_view", "product_view", "add_to_cart", "begin_checkout", "purchase")


def shop_records(today: date) -> list[dict[str, Any]]:
    """Two days just before `today`: the day `d` and the day after it, `e`."""
    d = datetime.combine(today - timedelta(days=2), datetime.min.time(), tzinfo=UTC)
    e = d + timedelta(days=1)

    def at(day: datetime, hh: int, mm: int) -> datetime:
        return day + timedelta(hours=hh, minutes=mm)

    def shop(path: str) -> str:
        return f"https://shop.example{path}"

    s1 = {"client_id": "c1", "session_id": "s1"}  # a guest whose session crosses midnight
    s2 = {"client_id": "c2", "session_id": "s2"}  # a person, then a bot, in one session
    s3 = {  # signed in, and its tracker sent no session id
        "client_id": "c3",
        "session_id": None,
        "user_id": "u3",
        "user_login_state": "logged_in",
        "identity_source": "local",
        "user_agent": FIREFOX,
    }
    s4 = {"client_id": "c1", "session_id": "s4"}  # c1 again, earlier that day: one page
    order = {"id": "o1", "total": 50.0, "currency": "EUR", "item_count": 1}
    return [
        record("page_view", at(d, 9, 0), page_url=shop("/"), **s4),
        record("page_view", at(d, 10, 0), page_url=shop("/"), **s2),
        record("page_view", at(d, 10, 1), page_url=shop("/sale"), **s2, user_agent=BOT),
        record("page_view", at(d, 23, 50), page_url=shop("/?ref=mail"), is_first_visit=True, **s1),
        record("product_view", at(d, 23, 55), page_url=shop("/p/1"), product=SHOE, **s1),
        record("page_view", at(e, 0, 5), page_url=shop("/p/1"), **s1),
        record("product_view", at(e, 0, 7), page_url=shop("/p/1"), product=SHOE, **s1),
        record("add_to_cart", at(e, 0, 10), page_url=shop("/p/1"), product=SHOE, **s1),
        record("begin_checkout", at(e, 0, 12), page_url=shop("/checkout"), **s1),
        record("purchase", at(e, 0, 15), page_url=shop("/checkout#paid"), order=order, **s1),
        record("page_view", at(e, 12, 0), page_url=shop("/"), is_first_visit=True, **s3),
        record("page_view", at(e, 12, 2), page_url=shop("/sale"), **s3),
    ]


# --- the figures, in plain Python, from the records ---------------------------------------------
def sessions_of(records: list[dict[str, Any]], bots: bool) -> list[list[dict[str, Any]]]:
    """Each session's events: one session per (UTC day, session id or `client:<client id>`)."""
    grouped: dict[tuple[date, str], list[dict[str, Any]]] = defaultdict(list)
    for r in records:
        day = datetime.fromisoformat(r["event_timestamp"]).astimezone(UTC).date()
        grouped[(day, r["session_id"] or f"client:{r['client_id']}")].append(r)
    return [
        events
        for events in grouped.values()
        if bots or not any("bot" in e["user_agent"].lower() for e in events)
    ]


def figures(records: list[dict[str, Any]], bots: bool = False) -> dict[str, Any]:
    sessions = sessions_of(records, bots)
    events = [e for s in sessions for e in s]
    purchases = [e for e in events if e["event_name"] == "purchase"]

    def pages(s: list[dict[str, Any]]) -> set[str]:
        return {e["page_url"].split("?")[0].split("#")[0] for e in s}

    def seconds(s: list[dict[str, Any]]) -> float:
        times = [datetime.fromisoformat(e["event_timestamp"]) for e in s]
        return (max(times) - min(times)).total_seconds()

    def reached(s: list[dict[str, Any]], step: str) -> bool:
        names = {e["event_name"] for e in s}
        return set(FUNNEL[: FUNNEL.index(step) + 1]) <= names

    bounces = [
        s
        for s in sessions
        if len(pages(s)) <= 1 and not any(e["event_name"] in CART_STEPS for e in s)
    ]
    return {
        "events": len(events),
        "visitors": len({e["client_id"] for e in events}),
        "sessions": len(sessions),
        "purchasing_sessions": sum(
            1 for s in sessions if any(e["event_name"] == "purchase" for e in s)
        ),
        "revenue": sum(e["order"]["total"] for e in purchases),
        "purchases": len(purchases),
        "bounces": len(bounces),
        "duration": sum(seconds(s) for s in sessions),
        "steps": {step: sum(1 for s in sessions if reached(s, step)) for step in FUNNEL},
        "logged_in": sum(
            1 for s in sessions if any(e["user_login_state"] == "logged_in" for e in s)
        ),
        "new": sum(1 for s in sessions if any(e["is_first_visit"] for e in s)),
    }


# --- the warehouse, the dashboard and the browser -----------------------------------------------
@pytest.fixture(scope="module")
def records(today: date) -> list[dict[str, Any]]:
    return shop_records(today)


@pytest.fixture(scope="module")
def dashboard_url(
    embedded_admin_url: str,
    tmp_path_factory: pytest.TempPathFactory,
    records: list[dict[str, Any]],
) -> Iterator[str]:
    lake_dir: Path = tmp_path_factory.mktemp("numbers-lake")
    lake = open_lake(str(lake_dir))
    for url in _database(embedded_admin_url):
        first = datetime.fromisoformat(records[0]["event_timestamp"])
        put(lake, first, records)
        assert run_etl(url, lake).loaded == len(records)
        with ServerThread(create_app(as_dashboard(url))) as server:
            yield server.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def visit(browser: Browser, dashboard_url: str) -> Iterator[Visit]:
    yield from _visit(browser, dashboard_url)


def test_the_fixture_gives_the_figures_worked_out_by_hand(records: list[dict[str, Any]]) -> None:
    # s1 is two sessions (cut at midnight), s2 is a bot session, c3's events are one session
    people = figures(records)
    assert (people["events"], people["visitors"], people["sessions"]) == (10, 2, 4)
    assert (people["purchasing_sessions"], people["revenue"], people["purchases"]) == (1, 50.0, 1)
    assert (people["bounces"], people["duration"]) == (1, 300 + 600 + 120 + 0)
    assert people["steps"] == {
        "page_view": 4, "product_view": 2, "add_to_cart": 1, "begin_checkout": 1, "purchase": 1,
    }  # fmt: skip
    assert (people["logged_in"], people["new"]) == (1, 2)
    everyone = figures(records, bots=True)
    assert (everyone["events"], everyone["visitors"], everyone["sessions"]) == (12, 3, 5)


def test_pages_show_the_figures_worked_out_from_the_records(visit: Visit) -> None:
    # Overview: 10 events of 2 visitors in 4 sessions, 1 of them buying 50.00: 25.0%
    for key, text in {
        "events": "10",
        "visitors": "2",
        "sessions": "4",
        "conversion": "25.0%",
        "revenue": "50.00",
        "aov": "50.00",
    }.items():
        expect(visit.kpi("overview", key)).to_have_text(text)

    # Sessions: one bounce in four; (300 + 600 + 120 + 0) s / 4 = 255 s; 10 events / 4
    visit.show("sessions")
    for key, text in {
        "sessions": "4",
        "bounce_rate": "25.0%",
        "avg_duration": "4m 15s",
        "events_per_session": "2.5",
    }.items():
        expect(visit.kpi("sessions", key)).to_have_text(text)

    # Funnel: 4 sessions, 1 reaching purchase; the only cart reached it too
    visit.show("funnel")
    for key, text in {
        "sessions": "4",
        "purchase": "1",
        "overall": "25.0%",
        "cart_to_purchase": "100.0%",
    }.items():
        expect(visit.kpi("funnel", key)).to_have_text(text)

    # Behaviour: c3's session signed in; s1's first half and c3's are new visitors
    visit.show("behaviour")
    for key, text in {"logged_in": "1", "guest": "3", "new": "2", "returning": "2"}.items():
        expect(visit.kpi("behaviour", key)).to_have_text(text)

    # With bots: s2's two events (the person's too) and c2 come in, as one more session
    visit.page.click(".navbar a[data-value='overview']")
    visit.page.check("#include_bots")
    for key, text in {"events": "12", "visitors": "3", "sessions": "5"}.items():
        expect(visit.kpi("overview", key)).to_have_text(text)
    assert visit.errors == []
