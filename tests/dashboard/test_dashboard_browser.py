"""The dashboards in a real Chromium: every figure equals SQL over `clickstream_events`, filters
move the numbers as SQL says, every page draws without console errors or outside requests,
and an empty warehouse shows friendly empty states.

Runs on the embedded PostgreSQL only (one populated warehouse and one browser for the module);
the same queries are checked on both servers, without a browser, in test_queries.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect

from clickstream.dashboard import formatting
from clickstream.dashboard.app import create_app
from clickstream.dashboard.charts import EMPTY_TEXT
from tests.browser import ARTIFACTS, chromium
from tests.conftest import ServerThread
from tests.dashboard.conftest import (
    _database,
    as_dashboard,
    auth_off_settings,
    session_cookie,
    signed_in_settings,
)
from tests.dashboard.data import (
    BEHAVIOUR_SQL,
    FUNNEL_SQL,
    OVERVIEW_SQL,
    PIPELINE_SQL,
    PRODUCTS_SQL,
    SESSION_ORIGINS,
    SESSIONS_SQL,
    many,
    one,
    origins_sql,
    params,
)

PAGES = (
    "overview",
    "funnel",
    "products",
    "behaviour",
    "sessions",
    "pipeline",
    "acquisition",
    "technology",
    "geography",
    "events",
    "retention",
    "journeys",
)
TIMEOUT = 30_000
NEXT_LOAD = datetime(2030, 1, 2, 3, 5, tzinfo=UTC)

pytestmark = pytest.mark.browser

# A page is drawn when its KPIs (or an empty or error state) are in, every chart has its SVG,
# and nothing is recalculating.
DRAWN_JS = """
(tab) => {
    const pane = document.querySelector(`.tab-pane[data-value="${tab}"]`);
    if (!pane || !pane.querySelector('.kpi-row, .error-state')) return false;
    for (const chart of pane.querySelectorAll('.clickstream-chart')) {
        if (!chart.querySelector('.main-svg')) return false;
    }
    if (pane.querySelector('.recalculating')) return false;
    return !document.documentElement.classList.contains('shiny-busy');
}
"""


@dataclass
class Visit:
    """A page in the browser with what it logged and requested."""

    page: Page
    base_url: str
    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def show(self, tab: str) -> None:
        if tab != "overview":
            self.page.click(f".navbar a[data-value='{tab}']")
        self.page.wait_for_function(DRAWN_JS, arg=tab, timeout=TIMEOUT)

    def kpi(self, tab: str, key: str, part: str = "value") -> Any:
        return self.page.locator(f"#{tab}-kpis [data-kpi='{key}'] .kpi-{part}")

    def outside_requests(self) -> list[str]:
        return [
            url for url in self.requests if not url.startswith((self.base_url, "data:", "blob:"))
        ]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(populated_url: str) -> Iterator[ServerThread]:
    with ServerThread(create_app(as_dashboard(populated_url), signed_in_settings())) as running:
        yield running


@pytest.fixture(scope="module")
def cookie(populated_url: str, server: ServerThread) -> dict[str, str]:
    """A signed-in session for the module's browser contexts (no sign-in form to fill)."""
    return session_cookie(populated_url, server.url)


def _visit(
    browser: Browser, base_url: str, cookie: dict[str, str] | None = None
) -> Iterator[Visit]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    if cookie is not None:
        context.add_cookies([cookie])  # type: ignore[list-item]
    page = context.new_page()
    visit = Visit(page, base_url)
    page.on("console", lambda m: visit.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.errors.append(str(e)))
    page.on("request", lambda r: visit.requests.append(r.url))
    page.goto(base_url + "/")
    visit.show("overview")
    yield visit
    context.close()


@pytest.fixture
def visit(browser: Browser, server: ServerThread, cookie: dict[str, str]) -> Iterator[Visit]:
    yield from _visit(browser, server.url, cookie)


def _week(today: date) -> tuple[date, date]:
    return today - timedelta(days=6), today


def test_every_page_draws_without_console_errors_or_outside_requests(visit: Visit) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    for tab in PAGES:
        visit.show(tab)
        visit.page.screenshot(path=str(ARTIFACTS / f"dashboard-{tab}.png"), full_page=True)
    assert visit.errors == []
    assert visit.outside_requests() == []
    assert [url for url in visit.requests if "/plotly-assets/plotly-" in url] != []


# Each chart output as plotly leaves it: a plotly graph with its traces, a mode bar (zoom,
# pan, download) and hover layer, i.e. an interactive chart drawn in the browser.
CHARTS_JS = """
(tabs) => tabs.flatMap((tab) => [...document.querySelectorAll(
    `.tab-pane[data-value="${tab}"] .clickstream-chart`)]).map((el) => ({
    id: el.id,
    plotly: el.classList.contains('js-plotly-plot'),
    traces: (el.data || []).map((t) => t.type),
    modebar: el.querySelector('.modebar') !== null,
    hover: el.querySelector('.hoverlayer') !== null,
}))
"""


def test_charts_are_interactive_plotly_charts_and_the_funnel_shows_sql_steps(
    visit: Visit, populated_url: str, today: date
) -> None:
    for tab in PAGES:
        visit.show(tab)
    drawn = visit.page.evaluate(CHARTS_JS, list(PAGES))  # the pages shown (not Live's)
    assert len(drawn) >= 10
    for chart in drawn:
        assert chart["plotly"] and chart["modebar"] and chart["hover"], chart
    assert {"bar", "scatter", "pie", "heatmap"} <= {t for c in drawn for t in c["traces"]}

    steps = one(populated_url, FUNNEL_SQL, params(*_week(today)))
    visit.show("funnel")
    names = ("page_view", "product_view", "add_to_cart", "begin_checkout", "purchase")
    funnel = visit.page.evaluate(
        "(() => { const t = document.getElementById('funnel-funnel_chart').data[0];"
        " return {y: t.y, x: t.x, text: t.text}; })()"
    )
    assert funnel["y"] == list(names)
    assert funnel["x"] == [steps[name] for name in names]
    assert funnel["text"][0] == f"{steps['page_view']:,}"
    conversion = 100 * steps["product_view"] / steps["page_view"]
    assert funnel["text"][1] == f"{steps['product_view']:,} · {conversion:.1f}% of previous step"
    # Hovering a bar shows plotly's tooltip: the chart is live, not a picture. (plotly's drag
    # layer lies over the bars and takes the mouse, so move the mouse rather than hover.)
    bar = visit.page.locator("#funnel-funnel_chart .bars .point").first
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box is not None
    visit.page.mouse.move(box["x"] + 10, box["y"] + box["height"] / 2, steps=5)
    expect(visit.page.locator("#funnel-funnel_chart .hoverlayer .hovertext")).not_to_have_count(0)
    assert visit.errors == []


def test_overview_kpis_equal_sql_for_the_period_and_the_one_before(
    visit: Visit, populated_url: str, today: date
) -> None:
    start, end = _week(today)
    days = end - start + timedelta(days=1)
    now = one(populated_url, OVERVIEW_SQL, params(start, end))
    before = one(populated_url, OVERVIEW_SQL, params(start - days, end - days))
    for part, want in (("value", now), ("previous", before)):
        expect(visit.kpi("overview", "events", part)).to_have_text(formatting.count(want["events"]))
        expect(visit.kpi("overview", "visitors", part)).to_have_text(
            formatting.count(want["visitors"])
        )
        expect(visit.kpi("overview", "sessions", part)).to_have_text(
            formatting.count(want["sessions"])
        )
        expect(visit.kpi("overview", "conversion", part)).to_have_text(
            formatting.percent(want["purchasing_sessions"] / want["sessions"])
        )
        expect(visit.kpi("overview", "revenue", part)).to_have_text(
            formatting.money(want["revenue"])
        )
        expect(visit.kpi("overview", "aov", part)).to_have_text(
            formatting.money(want["revenue"] / want["purchases"])
        )
    expect(visit.kpi("overview", "events", "change")).to_have_text(
        formatting.change(now["events"], before["events"])
    )


def test_other_pages_show_the_figures_sql_gives(
    visit: Visit, populated_url: str, today: date
) -> None:
    with psycopg.connect(populated_url) as conn:
        row = conn.execute(
            "INSERT INTO ops_incidents (alarm, summary) VALUES ('etl_failed', 'The ETL failed') "
            "RETURNING incident_id"
        ).fetchone()
        assert row is not None
        conn.execute(
            "INSERT INTO ops_notifications (incident_id, kind, channel_key, channel_label, "
            "status, attempts, last_error) VALUES (%s, 'opened', 'k', 'webhook', 'pending', 2, "
            "'connection refused')",
            (row[0],),
        )
    week = params(*_week(today))
    steps = one(populated_url, FUNNEL_SQL, week)
    visit.show("funnel")
    rows = visit.page.locator("#funnel-steps_table tbody tr")
    for index, step in enumerate(
        ("page_view", "product_view", "add_to_cart", "begin_checkout", "purchase")
    ):
        expect(rows.nth(index).locator("[data-col=step]")).to_have_text(step)
        expect(rows.nth(index).locator("[data-col=sessions]")).to_have_text(
            formatting.count(steps[step])
        )
    expect(visit.kpi("funnel", "overall")).to_have_text(
        formatting.percent(steps["purchase"] / steps["sessions"])
    )

    top = one(populated_url, PRODUCTS_SQL + " LIMIT 1", week)
    visit.show("products")
    first = visit.page.locator("#products-top_table tbody tr").first
    expect(first.locator("[data-col=product_id]")).to_have_text(top["product_id"])
    expect(first.locator("[data-col=views]")).to_have_text(formatting.count(top["views"]))
    expect(first.locator("[data-col=revenue]")).to_have_text(formatting.money(top["revenue"]))

    audience = one(populated_url, BEHAVIOUR_SQL, week)
    visit.show("behaviour")
    expect(visit.kpi("behaviour", "logged_in")).to_have_text(
        formatting.count(audience["logged_in"])
    )
    expect(visit.kpi("behaviour", "new")).to_have_text(formatting.count(audience["new"]))

    sessions = one(populated_url, SESSIONS_SQL, week)
    visit.show("sessions")
    expect(visit.kpi("sessions", "bounce_rate")).to_have_text(
        formatting.percent(sessions["bounces"] / sessions["sessions"])
    )
    expect(visit.kpi("sessions", "avg_duration")).to_have_text(
        formatting.duration(sessions["duration_seconds"] / sessions["sessions"])
    )

    ledger = one(populated_url, PIPELINE_SQL, {})
    visit.show("pipeline")
    expect(visit.kpi("pipeline", "runs")).to_have_text(formatting.count(ledger["runs"]))
    expect(visit.kpi("pipeline", "loaded")).to_have_text(formatting.count(ledger["loaded"]))
    expect(visit.page.locator("#pipeline-freshness .newest-event")).to_have_text(
        formatting.moment(ledger["newest_event"])
    )
    incident = visit.page.locator("#pipeline-incidents_table tbody tr").first
    expect(incident.locator("[data-col=alarm]")).to_have_text("etl_failed")
    expect(incident.locator("[data-col=state]")).to_have_text("open")
    expect(incident.locator("[data-col=pending]")).to_have_text("1")
    expect(incident.locator("[data-col=last_error]")).to_have_text("connection refused")
    assert visit.errors == []


def test_changing_filters_changes_the_numbers_as_sql_says(
    visit: Visit, populated_url: str, today: date
) -> None:
    start, end = _week(today)
    everyone = one(populated_url, OVERVIEW_SQL, params(start, end))
    logged_in = one(populated_url, OVERVIEW_SQL, params(start, end, "logged_in", bots=False))
    with_bots = one(populated_url, OVERVIEW_SQL, params(start, end, None, bots=True))
    fortnight = one(populated_url, OVERVIEW_SQL, params(end - timedelta(days=13), end, None, True))
    assert (
        len({everyone["events"], logged_in["events"], with_bots["events"], fortnight["events"]})
        == 4
    ), "the fixture must tell these filters apart"

    events = visit.kpi("overview", "events")
    expect(events).to_have_text(formatting.count(everyone["events"]))
    visit.page.check("input[name=login_state][value=logged_in]")
    expect(events).to_have_text(formatting.count(logged_in["events"]))
    expect(visit.kpi("overview", "sessions")).to_have_text(formatting.count(logged_in["sessions"]))
    visit.page.check("input[name=login_state][value=all]")
    visit.page.check("#include_bots")
    expect(events).to_have_text(formatting.count(with_bots["events"]))
    expect(visit.kpi("overview", "visitors")).to_have_text(formatting.count(with_bots["visitors"]))
    visit.page.select_option("#preset", "14")
    expect(events).to_have_text(formatting.count(fortnight["events"]))
    # The chart was redrawn in place with one point per day of the new range.
    visit.page.wait_for_function(
        "document.getElementById('overview-timeline')?.data?.[0]?.x?.length === 14",
        timeout=TIMEOUT,
    )

    steps = one(populated_url, FUNNEL_SQL, params(end - timedelta(days=13), end, None, True))
    visit.show("funnel")
    expect(visit.kpi("funnel", "sessions")).to_have_text(formatting.count(steps["sessions"]))
    assert visit.errors == []


def test_acquisition_shows_channels_as_sql_says_and_the_channel_filter_narrows_it(
    visit: Visit, populated_url: str, today: date
) -> None:
    start, end = _week(today)
    channels = many(populated_url, origins_sql("channel"), params(start, end))
    email = many(
        populated_url,
        f"SELECT count(*) AS sessions FROM ({SESSION_ORIGINS}) o WHERE channel = 'Email'",
        params(start, end),
    )[0]["sessions"]
    assert len(channels) > 2 and email > 0
    visit.show("acquisition")
    rows = visit.page.locator("#acquisition-by_channel_table tbody tr")
    expect(rows).to_have_count(len(channels))
    shown = {
        rows.nth(n).locator("[data-col=label]").inner_text(): rows.nth(n)
        .locator("[data-col=sessions]")
        .inner_text()
        for n in range(len(channels))
    }
    assert shown == {r["label"]: formatting.count(r["sessions"]) for r in channels}
    # Geography has a region table, since the data has regions (as a MaxMind City file gives).
    regions = many(populated_url, origins_sql("region"), params(start, end))
    visit.show("geography")
    region_rows = visit.page.locator("#geography-by_region_table tbody tr")
    expect(region_rows.first).to_be_visible()
    cells = region_rows.evaluate_all(
        "rows => rows.map(r => [r.querySelector('[data-col=label]').innerText,"
        " r.querySelector('[data-col=sessions]').innerText])"
    )
    assert {label: n for label, n in cells if n != "0"} == {
        r["label"]: formatting.count(r["sessions"]) for r in regions
    }
    assert len(regions) > 1
    visit.show("acquisition")
    # The sidebar offers the channels the warehouse holds; choosing one narrows every page.
    visit.page.select_option("#channel", "Email")
    expect(visit.kpi("acquisition", "sessions")).to_have_text(formatting.count(email))
    expect(rows).to_have_count(1)
    visit.show("geography")
    expect(visit.kpi("geography", "sessions")).to_have_text(formatting.count(email))
    assert visit.errors == []


def test_empty_warehouse_shows_friendly_empty_states_on_every_page(
    browser: Browser, embedded_admin_url: str
) -> None:
    for url in _database(embedded_admin_url):
        app = create_app(as_dashboard(url), auth_off_settings(), next_load=lambda _: NEXT_LOAD)
        with ServerThread(app) as empty_server:
            for visit in _visit(browser, empty_server.url):
                for tab in PAGES:
                    visit.show(tab)
                    pane = visit.page.locator(f".tab-pane[data-value='{tab}']")
                    assert pane.locator(".error-state").count() == 0
                    drawn = pane.locator(".clickstream-chart").count()
                    if drawn:
                        expect(pane.get_by_text(EMPTY_TEXT)).to_have_count(drawn)
                    if tab != "overview":
                        expect(pane.locator(".empty-state").first).to_be_visible()
                    if tab == "geography":  # no region known: no region table at all
                        expect(pane.get_by_text("By region")).to_have_count(0)
                expect(visit.kpi("overview", "events")).to_have_text("0")
                expect(visit.page.locator("#pipeline-freshness")).to_contain_text(
                    "Nothing has been loaded yet"
                )
                # The first run's guide: why it is empty and what to do next, on every page.
                first_run = visit.page.locator(".first-run")
                expect(first_run).to_contain_text("No event has been loaded yet")
                expect(first_run).to_contain_text("2030-01-02 03:05:00 UTC")
                for step in ("clickstream etl run", "docs/tracking.md", "clickstream up --demo"):
                    expect(first_run).to_contain_text(step)
                visit.page.screenshot(path=str(ARTIFACTS / "dashboard-empty.png"))
                assert visit.errors == []


# Every data table on the shown page: cells whose content overflows them, and tables that
# stick out of an ancestor that clips or scrolls them (a card, a scroll box).
CLIPPED_JS = """
(tab) => {
    const pane = document.querySelector(`.tab-pane[data-value="${tab}"]`);
    const clipped = [];
    for (const table of pane.querySelectorAll('table.data-table')) {
        const box = table.getBoundingClientRect();
        for (let el = table.parentElement; el && el !== document.body; el = el.parentElement) {
            if (getComputedStyle(el).overflowX === 'visible') continue;
            const frame = el.getBoundingClientRect();
            if (box.right > frame.right + 1 || box.left < frame.left - 1) {
                clipped.push(`${table.closest('[id]').id}: ${Math.round(box.width)}px table `
                    + `in ${Math.round(frame.width)}px`);
            }
        }
        for (const cell of table.querySelectorAll('th, td')) {
            if (cell.scrollWidth > cell.clientWidth + 1) {
                clipped.push(`${table.closest('[id]').id}: cell ${cell.textContent.trim()}`);
            }
        }
    }
    return clipped;
}
"""


def test_no_table_is_clipped_at_1440_pixels(
    browser: Browser, server: ServerThread, populated_url: str, cookie: dict[str, str]
) -> None:
    with psycopg.connect(populated_url) as conn:  # the Error column with a real-sized error
        conn.execute(
            "INSERT INTO etl_runs (trigger, status, finished_at, error) VALUES "
            "('schedule', 'failed', now(), %s)",
            (
                "the lake s3://clickstream-lake-production/events could not be listed: "
                "An error occurred (AccessDenied) when calling the ListObjectsV2 operation: "
                "User arn:aws:iam::123456789012:user/clickstream-etl is not authorized",
            ),
        )
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    context.add_cookies([cookie])  # type: ignore[list-item]
    page = context.new_page()
    visit = Visit(page, server.url)
    page.goto(server.url + "/")
    # The whole fortnight: its 15 visitors were all first seen in its first week, so the
    # Retention page has cohorts (and a table) only over 14 days.
    page.select_option("#preset", "14")
    try:
        for tab in PAGES:
            visit.show(tab)
            assert page.locator(f".tab-pane[data-value='{tab}'] table.data-table").count() > 0
            assert page.evaluate(CLIPPED_JS, tab) == [], tab
    finally:
        context.close()


def test_unexpected_filter_values_show_a_message_and_keep_the_session(
    visit: Visit, populated_url: str, today: date, capfd: pytest.CaptureFixture[str]
) -> None:
    events = visit.kpi("overview", "events")
    week = one(populated_url, OVERVIEW_SQL, params(*_week(today)))
    expect(events).to_have_text(formatting.count(week["events"]))
    expect(visit.page.locator("#filters_problem")).to_have_text("")  # nothing wrong yet

    # What a client talking to the websocket itself can send: no browser widget makes these.
    visit.page.evaluate("Shiny.setInputValue('preset', 'forever')")
    expect(visit.page.locator("#filters_problem")).to_contain_text("not one of the choices")
    visit.page.evaluate("Shiny.setInputValue('dates', ['last week', 42])")
    expect(visit.page.locator("#filters_problem")).to_contain_text("not understood")
    visit.page.evaluate("Shiny.setInputValue('dates:shiny.date', [7, 'x'])")

    # Still connected, still answering, on the default period.
    expect(events).to_have_text(formatting.count(week["events"]))
    visit.page.check("input[name=login_state][value=logged_in]")
    logged_in = one(populated_url, OVERVIEW_SQL, params(*_week(today), "logged_in", bots=False))
    expect(events).to_have_text(formatting.count(logged_in["events"]))
    assert visit.page.locator("#shiny-disconnected-overlay").count() == 0
    assert "Traceback" not in capfd.readouterr().err
    assert visit.errors == []
