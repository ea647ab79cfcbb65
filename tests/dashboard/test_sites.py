"""Sites in the dashboard: two sites' events loaded by the real ETL split into per-site roll-ups
that add up to the all-sites figures, and in Chromium a viewer of one site sees that site's
numbers only, whatever value the browser sends for the site selector.

The second site (`blog`) sends a fortnight with the same session ids as the default site's:
each site's events make sessions of their own (docs/etl.md, "Sites").
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from playwright.sync_api import Browser, expect
from psycopg.rows import dict_row

from clickstream.dashboard import formatting
from clickstream.dashboard.app import create_app
from clickstream.dashboard.filters import Filters
from clickstream.dashboard.signin import cookies
from clickstream.dashboard.signin.accounts import add_user
from clickstream.dashboard.warehouse import Warehouse
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.warehouse import schema
from clickstream.warehouse.goals import add_goal, make_goal
from clickstream.warehouse.sites import make_site, save_site
from tests.browser import chromium
from tests.conftest import ServerThread
from tests.dashboard.conftest import (
    SESSION_SECRET,
    _database,
    as_dashboard,
    session_cookie,
    signed_in_settings,
)
from tests.dashboard.data import fill_lake
from tests.dashboard.test_dashboard_browser import TIMEOUT, Visit, _visit

OTHER = "blog"
DAYS = 7  # of each site's fortnight, loaded: the dashboard's default period
VIEWER = "blog-viewer"

# Per site, straight from `clickstream_events` (never from the roll-ups): events, sessions
# (a site's events with one session id on one UTC day) and revenue of the person sessions of
# `start`..`end`, for the sites `sites` (NULL: every site).
SITE_FIGURES = """
WITH ev AS (
    SELECT e.*, (e.event_timestamp AT TIME ZONE 'UTC')::date AS day,
        coalesce(e.session_id, 'client:' || e.client_id, 'event:' || e.event_id::text) AS skey
    FROM clickstream_events AS e
), bots AS (
    SELECT day, site_id, skey FROM ev GROUP BY 1, 2, 3 HAVING bool_or(is_bot)
)
SELECT count(*) AS events, count(DISTINCT (day, site_id, skey)) AS sessions,
    coalesce(sum(order_total) FILTER (WHERE event_name = 'purchase'), 0) AS revenue
FROM ev
WHERE day BETWEEN %(start)s AND %(end)s
    AND (%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))
    AND (day, site_id, skey) NOT IN (SELECT day, site_id, skey FROM bots)
"""


def _copy_as_site(source: Path, lake_dir: Path, site_id: str | None, node: str) -> int:
    """The last `DAYS` days' lake objects under `source` into `lake_dir` as `node`'s, their
    records sent by `site_id` (None: sent without one) and their page views with a property;
    returns how many records."""
    lake, count = open_lake(str(lake_dir)), 0
    for path in sorted(source.rglob("*.ndjson.gz"))[-DAYS:]:
        records = [json.loads(line) for line in gzip.decompress(path.read_bytes()).splitlines()]
        for record in records:
            if site_id is not None:
                record["site_id"] = site_id
            if record["event_name"] == "page_view":
                record["properties"] = {"section": record["page_url"].split("/")[3] or "home"}
        key = str(path.relative_to(source)).replace("/n1-", f"/{node}-")
        lake.put(key, gzip.compress("\n".join(json.dumps(r) for r in records).encode() + b"\n"))
        count += len(records)
    return count


@pytest.fixture(scope="module")
def two_sites_url(
    embedded_admin_url: str, tmp_path_factory: pytest.TempPathFactory, today: date
) -> Iterator[str]:
    """The default site's fortnight and another site's (same session ids), loaded by one ETL
    run; both sites registered, and a viewer who may see the other site only."""
    for url in _database(embedded_admin_url):
        lake_dir = tmp_path_factory.mktemp("lake")
        for seed, site_id, node in ((5, None, "n1"), (11, OTHER, "n2")):
            generated = tmp_path_factory.mktemp("generated")
            fill_lake(generated, today, seed=seed)
            assert _copy_as_site(generated, lake_dir, site_id, node) > 0
        with psycopg.connect(url, autocommit=True) as conn:
            save_site(conn, make_site("default", "Shop"))
            save_site(conn, make_site(OTHER, "Blog"))
            add_user(conn, VIEWER, role="viewer", sites=[OTHER])
            add_goal(conn, make_goal("Bought", "purchase"))
        result = run_etl(url, open_lake(str(lake_dir)))
        assert result.status == "succeeded", result
        yield url


def _figures(url: str, start: date, end: date, sites: list[str] | None) -> dict[str, Any]:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        row = conn.execute(SITE_FIGURES, {"start": start, "end": end, "sites": sites}).fetchone()
    assert row is not None
    return row


def test_roll_ups_split_per_site_and_add_up_to_every_sites_figures(
    two_sites_url: str, today: date
) -> None:
    with psycopg.connect(two_sites_url) as conn:
        for table in schema.DERIVED_TABLES:
            found = conn.execute(f"SELECT DISTINCT site_id FROM {table} ORDER BY 1").fetchall()
            assert [row[0] for row in found] == ["blog", "default"], table
        # The same session id on both sites is two sessions, one per site.
        shared = conn.execute(
            "SELECT count(*) FROM (SELECT day, session_id FROM sessions "
            "GROUP BY 1, 2 HAVING count(DISTINCT site_id) = 2) AS s"
        ).fetchone()
        assert shared is not None and shared[0] > 0

    warehouse = Warehouse(as_dashboard(two_sites_url))
    start, end = today - timedelta(days=DAYS - 1), today
    try:
        shown = {}
        for sites in (None, ("default",), (OTHER,)):
            params = Filters(start, end, sites=sites).params()
            kpis = warehouse.rows("overview", "kpis", params)
            current = next(row for row in kpis if row["period"] == "current")
            shown[sites] = (current["events"], current["sessions"], current["revenue"])
            want = _figures(two_sites_url, start, end, None if sites is None else list(sites))
            assert shown[sites] == (want["events"], want["sessions"], want["revenue"]), sites
    finally:
        warehouse.close()
    one, other = shown[("default",)], shown[(OTHER,)]
    assert one != other, "the fixture must tell the sites apart"
    assert shown[None] == tuple(a + b for a, b in zip(one, other, strict=True))


def _site_options(visit: Visit) -> list[str]:
    return visit.page.locator("#site option").all_inner_texts()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def server(two_sites_url: str) -> Iterator[ServerThread]:
    with ServerThread(create_app(as_dashboard(two_sites_url), signed_in_settings())) as running:
        yield running


def _viewer_cookie(url: str, base_url: str) -> dict[str, str]:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT user_id FROM dashboard_users WHERE login = %s", (VIEWER,))
        found = row.fetchone()
    assert found is not None
    value = cookies.mint(SESSION_SECRET.encode(), found[0], 3600)
    return {"name": cookies.SESSION_COOKIE, "value": value, "url": base_url}


def test_a_viewer_of_one_site_sees_its_numbers_only_even_when_sending_another_site(
    browser: Browser, server: ServerThread, two_sites_url: str, today: date
) -> None:
    start, end = today - timedelta(days=6), today
    mine = _figures(two_sites_url, start, end, [OTHER])
    everything = _figures(two_sites_url, start, end, None)
    assert mine["events"] != everything["events"]
    for visit in _visit(browser, server.url, _viewer_cookie(two_sites_url, server.url)):
        expect(visit.page.locator("#site option")).to_have_count(2, timeout=TIMEOUT)
        assert _site_options(visit) == ["All sites", "Blog (blog)"]
        expect(visit.kpi("overview", "events")).to_have_text(formatting.count(mine["events"]))
        # Another site's id sent as the selector's value is refused; bots are then included,
        # which the summary shows once the server has read both inputs, in order.
        visit.page.evaluate(
            "() => { Shiny.setInputValue('site', 'default');"
            " Shiny.setInputValue('include_bots', true); }"
        )
        expect(visit.page.locator("#filters_summary")).to_contain_text(
            "bots included", timeout=TIMEOUT
        )
        expect(visit.page.locator("#filters_summary")).to_contain_text(OTHER)
        with psycopg.connect(two_sites_url) as conn:
            found = conn.execute(
                "SELECT count(*) FROM clickstream_events WHERE site_id = %s "
                "AND (event_timestamp AT TIME ZONE 'UTC')::date BETWEEN %s AND %s",
                (OTHER, start, end),
            ).fetchone()
        assert found is not None
        expect(visit.kpi("overview", "events")).to_have_text(formatting.count(found[0]))
        assert visit.errors == []


def test_an_admin_picks_one_site_or_all_of_them(
    browser: Browser, server: ServerThread, two_sites_url: str, today: date
) -> None:
    start, end = today - timedelta(days=6), today
    for visit in _visit(browser, server.url, session_cookie(two_sites_url, server.url)):
        expect(visit.page.locator("#site option")).to_have_count(3, timeout=TIMEOUT)
        assert _site_options(visit) == ["All sites", "Blog (blog)", "Shop (default)"]
        events = visit.kpi("overview", "events")
        expect(events).to_have_text(
            formatting.count(_figures(two_sites_url, start, end, None)["events"])
        )
        visit.page.select_option("#site", "default")
        want = _figures(two_sites_url, start, end, ["default"])
        expect(events).to_have_text(formatting.count(want["events"]), timeout=TIMEOUT)
        assert visit.errors == []
