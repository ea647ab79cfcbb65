"""Saved session-window funnels precomputed per day (`funnel_days`): the roll-up's rows equal
the walk's for funnels, filters and periods; a funnel saved after the data is filled by the
next derive (and by `funnels add` at once); a re-derived day (an erasure) is counted again;
uncovered periods and unsaved funnels are walked; the JSON API answers from the roll-up."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import httpx
import psycopg
import pytest
import structlog.testing
from click.testing import CliRunner

from clickstream import jsonio, utc
from clickstream.cli.main import cli
from clickstream.dashboard import queries
from clickstream.dashboard.api.tokens import add_token
from clickstream.dashboard.app import create_app
from clickstream.dashboard.filters import Filters
from clickstream.dashboard.funnel_figures import walk_params
from clickstream.dashboard.funnel_rows import funnel_rows, roll_up_covers
from clickstream.dashboard.warehouse import Warehouse
from clickstream.etl.derive.days import derive_days
from clickstream.etl.rebuild import rebuild
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.lake.store import LakeStore
from clickstream.ops.erasure import erase_subject
from clickstream.sqlfiles import named
from clickstream.warehouse.funnel_days import covered_days, refresh
from clickstream.warehouse.funnels import Funnel, add_funnel, make_funnel, parse_step, remove_funnel
from clickstream.warehouse.locks import etl_lock
from tests.conftest import ServerThread
from tests.dashboard.conftest import as_dashboard, signed_in_settings
from tests.etl.lakefiles import put, record

KEYS = (
    ("event", "page_view"),
    ("event", "product_view"),
    ("event", "add_to_cart"),
    ("event", "purchase"),
    ("page", "/"),
    ("page", "/cart"),
    ("goal", "Buy"),
)
STEPS_SQL = """
INSERT INTO session_steps (day, site_id, step_kind, step_value, session_no, client_id,
    login_state, is_bot, first_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
"""


def _funnel(name: str, *steps: str, window: str = "session", site: str | None = None) -> Funnel:
    days = 2 if window == "days" else None
    return make_funnel(name, [parse_step(s) for s in steps], window, days, site)


SAVED = (
    _funnel("Shop", "event:page_view", "event:product_view", "event:add_to_cart", "event:purchase"),
    _funnel("Pages", "page:/", "page:/cart", "goal:Buy"),
    _funnel("One step", "event:product_view"),
    _funnel("Twice", "event:page_view", "event:page_view", "event:purchase"),
    # Same steps as Shop, for one site: one definition, narrowed to the site when read.
    _funnel(
        "Blog shop",
        "event:page_view",
        "event:product_view",
        "event:add_to_cart",
        "event:purchase",
        site="blog",
    ),
)


def _generated_steps(conn: psycopg.Connection, today: date) -> None:
    """Three weeks of random sessions on two sites: each does some step keys, at random
    microseconds (some gaps whole seconds, some steps at the same instant, so medians tie)."""
    rng = random.Random(19)
    rows = []
    for back in range(21):
        day = today - timedelta(days=back)
        midnight = datetime.combine(day, time(), tzinfo=UTC)
        for number in range(1, rng.randint(20, 70)):
            site = rng.choice(("default", "default", "blog"))
            login = rng.choice(("guest", "guest", "logged_in"))
            bot = rng.random() < 0.1
            at = midnight + timedelta(microseconds=rng.randrange(80_000 * 1_000_000))
            for kind, value in rng.sample(KEYS, rng.randint(1, len(KEYS))):
                step = rng.choice(
                    (
                        timedelta(seconds=rng.randint(0, 90)),
                        timedelta(0),
                        timedelta(microseconds=rng.randrange(200_000_000)),
                    )
                )
                at += step
                rows.append((day, site, kind, value, number, f"c{number % 9}", login, bot, at))
    with conn.cursor() as cur:
        cur.executemany(STEPS_SQL, rows)
    conn.execute("ANALYZE session_steps")  # unanalysed, the walk's plan takes minutes


@pytest.fixture
def stepped(warehouse_url: str) -> Iterator[str]:
    """A warehouse with generated session steps, SAVED saved and their days filled."""
    with psycopg.connect(warehouse_url) as conn:
        _generated_steps(conn, utc.now().date())
        for funnel in SAVED:
            add_funnel(conn, funnel)
        with conn.transaction():
            refresh(conn, ())
    yield warehouse_url


def test_rolled_rows_equal_the_walks_for_funnels_filters_and_periods(stepped: str) -> None:
    today = utc.now().date()
    periods = [
        (today - timedelta(days=6), today),
        (today, today),
        (today - timedelta(days=13), today - timedelta(days=7)),
        (today - timedelta(days=29), today),
    ]
    warehouse = Warehouse(stepped)
    checked = 0
    try:
        for funnel in SAVED:
            for start, end in periods:
                for login in (None, "guest", "logged_in"):
                    for bots in (False, True):
                        for sites in (None, ("blog",), ("default", "blog")):
                            params = walk_params(funnel, Filters(start, end, login, bots, sites))
                            assert roll_up_covers(warehouse, params), (funnel.name, params)
                            walked = warehouse.rows("funnels", "walk", params)
                            assert warehouse.rows("funnels", "rolled", params) == walked
                            checked += len(walked)
    finally:
        warehouse.close()
    assert checked > 1000  # the periods and filters found entrants, medians and all


def test_unsaved_funnels_other_windows_and_uncovered_days_are_walked(stepped: str) -> None:
    today = utc.now().date()
    week = Filters(today - timedelta(days=6), today)
    unsaved = _funnel("Unsaved", "event:page_view", "event:purchase")
    by_visitor = _funnel("Visitor", *[s.describe() for s in SAVED[0].steps], window="days")
    warehouse = Warehouse(stepped)
    try:
        assert roll_up_covers(warehouse, walk_params(SAVED[0], week))
        assert not roll_up_covers(warehouse, walk_params(unsaved, week))
        assert not roll_up_covers(warehouse, walk_params(by_visitor, week))
        with psycopg.connect(stepped) as conn:
            conn.execute("DELETE FROM funnel_days_covered WHERE day = %s", (today - timedelta(3),))
        assert not roll_up_covers(warehouse, walk_params(SAVED[0], week))
        # The uncovered period is walked: the rows are the walk's all the same.
        params = walk_params(SAVED[0], week)
        assert funnel_rows(warehouse, params) == warehouse.rows("funnels", "walk", params)
        # A period whose uncovered day is outside it, and its previous period, still rolls up.
        assert roll_up_covers(warehouse, walk_params(SAVED[0], Filters(today, today)))
    finally:
        warehouse.close()


# --- Through the derive: real events, the ETL, an erasure, a rebuild ----------------------

SHOP = "https://shop.example"


def _lines(today: date) -> list[dict[str, Any]]:
    """Four days of sessions of three clients going some way down page_view > product_view >
    add_to_cart > purchase, seconds apart."""
    rng = random.Random(7)
    names = ("page_view", "product_view", "add_to_cart", "purchase")
    lines = []
    for back in range(4):
        day = today - timedelta(days=back)
        for n in range(12):
            at = datetime.combine(day, time(8 + n), tzinfo=UTC)
            client = f"client-{n % 3}"
            for name in names[: rng.randint(1, 4)]:
                at += timedelta(seconds=rng.randint(1, 300), microseconds=rng.randrange(10**6))
                lines.append(
                    record(
                        name,
                        at,
                        session_id=f"s-{back}-{n}",
                        client_id=client,
                        page_url=f"{SHOP}/p/{n}",
                    )
                )
    return lines


def _lake(path: str, today: date) -> LakeStore:
    lake = open_lake(path)
    by_day: dict[str, list[dict[str, Any]]] = {}
    for line in _lines(today):
        by_day.setdefault(line["event_timestamp"][:10], []).append(line)
    for n, day_lines in enumerate(by_day.values(), start=1):
        put(lake, datetime.fromisoformat(day_lines[0]["event_timestamp"]), day_lines, seq=n)
    return lake


def _rows_of(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT day, step, entrants, gaps FROM funnel_days ORDER BY day, step, login_state"
        ).fetchall()


def _same_as_walk(url: str, funnel: Funnel, filters: Filters) -> bool:
    """Whether the page's rows come from the roll-up, after checking they equal the walk's."""
    warehouse = Warehouse(url)
    try:
        params = walk_params(funnel, filters)
        assert funnel_rows(warehouse, params) == warehouse.rows("funnels", "walk", params)
        return roll_up_covers(warehouse, params)
    finally:
        warehouse.close()


@pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True)
def test_a_funnel_saved_after_the_data_is_filled_by_the_next_derive_and_follows_erasures(
    warehouse_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = utc.now().date()
    lake = _lake(str(tmp_path / "lake"), today)
    assert run_etl(warehouse_url, lake).status == "succeeded"
    funnel = SAVED[0]
    week = Filters(today - timedelta(days=6), today)
    with psycopg.connect(warehouse_url) as conn:
        add_funnel(conn, funnel)  # as the dashboard's Save button does: nothing filled yet
    assert _rows_of(warehouse_url) == []
    assert not _same_as_walk(warehouse_url, funnel, week)

    # The next ETL run has no new file; its derive fills the saved funnel's days.
    assert run_etl(warehouse_url, lake).status == "succeeded"
    filled = _rows_of(warehouse_url)
    assert {row[0] for row in filled} == {today - timedelta(days=n) for n in range(4)}
    assert _same_as_walk(warehouse_url, funnel, week)

    # An erasure re-derives the client's days: those days are counted again.
    erase_subject(warehouse_url, lake, "client_id", "client-1")
    after = _rows_of(warehouse_url)
    assert sum(r[2] for r in after) < sum(r[2] for r in filled)
    assert _same_as_walk(warehouse_url, funnel, week)

    # A removed funnel's rows go at the next derive; `funnels add` fills a new one at once.
    with psycopg.connect(warehouse_url) as conn:
        remove_funnel(conn, funnel.name)
        with conn.transaction():
            derive_days(conn, [today])
    assert _rows_of(warehouse_url) == []
    monkeypatch.setattr("clickstream.cli.common.configure_logging", lambda *a, **k: None)
    env = {"CLICKSTREAM_WAREHOUSE_URL": warehouse_url, "CLICKSTREAM_LOG_LEVEL": "warning"}
    steps = [arg for s in funnel.steps for arg in ("--step", s.describe())]
    added = CliRunner().invoke(cli, ["funnels", "add", "Shop", *steps], env=env)
    assert added.exit_code == 0, added.output
    assert "precomputed" in added.output
    assert _rows_of(warehouse_url) == after
    assert _same_as_walk(warehouse_url, funnel, week)

    # A rebuild empties the roll-up with the other derived tables and fills it again.
    result = rebuild(warehouse_url, lake)
    assert result.status == "succeeded"
    assert _rows_of(warehouse_url) == after
    assert _same_as_walk(warehouse_url, funnel, week)


def test_the_api_answers_funnels_walk_from_the_roll_up_with_the_walks_rows(stepped: str) -> None:
    today = utc.now().date()
    week = Filters(today - timedelta(days=6), today, "guest", True)
    with psycopg.connect(stepped, autocommit=True) as conn:
        token = add_token(conn, "all", None)
    query = {
        "step": [s.describe() for s in SAVED[0].steps],
        "window": "session",
        "start": str(week.start),
        "end": str(week.end),
        "login": "guest",
        "bots": "true",
    }
    app = create_app(as_dashboard(stepped), signed_in_settings())
    with (
        ServerThread(app) as server,
        structlog.testing.capture_logs() as logs,
        httpx.Client(timeout=30) as client,
    ):
        response = client.get(
            f"{server.url}/api/v1/funnels/walk",
            params=query,
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    read = [e["query"] for e in logs if e.get("event") == "dashboard_query"]
    assert read == ["rolled_covered", "rolled"]
    warehouse = Warehouse(stepped)
    try:
        walked = warehouse.rows("funnels", "walk", walk_params(SAVED[0], week))
    finally:
        warehouse.close()
    assert walked and response.json()["rows"] == jsonio.loads(jsonio.dumps(walked))


def test_funnels_add_during_an_etl_run_leaves_the_days_to_the_next_derives_a_few_at_a_time(
    stepped: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = utc.now().date()
    funnel = _funnel("Late", "event:product_view", "event:purchase")
    monkeypatch.setattr("clickstream.cli.common.configure_logging", lambda *a, **k: None)
    env = {"CLICKSTREAM_WAREHOUSE_URL": stepped, "CLICKSTREAM_LOG_LEVEL": "warning"}
    args = ["funnels", "add", "Late", "--step", "event:product_view", "--step", "event:purchase"]
    with etl_lock(stepped) as held:  # as an ETL run holds it
        assert held is not None
        added = CliRunner().invoke(cli, args, env=env)
    assert added.exit_code == 0, added.output
    assert "not precomputed now: the next ETL runs do" in added.output
    with psycopg.connect(stepped) as conn:
        assert not covered_days(conn, funnel.steps)

    # Each derive catches the definition up on at most CATCH_UP_DAYS days, newest first;
    # until every day is covered the dashboard walks it.
    monkeypatch.setattr("clickstream.warehouse.funnel_days.CATCH_UP_DAYS", 8)
    newest = [today - timedelta(days=n) for n in range(21)]
    warehouse = Warehouse(stepped)
    try:
        for runs in (1, 2, 3):
            with psycopg.connect(stepped) as conn, conn.transaction():
                refresh(conn, ())
            with psycopg.connect(stepped) as conn:
                assert covered_days(conn, funnel.steps) == set(newest[: 8 * runs])
            month = walk_params(funnel, Filters(today - timedelta(days=20), today))
            assert roll_up_covers(warehouse, month) == (runs == 3)
            assert funnel_rows(warehouse, month) == warehouse.rows("funnels", "walk", month)
    finally:
        warehouse.close()


def test_the_fill_joins_a_sessions_steps_exactly_as_the_walk_does() -> None:
    """The fill's twenty step relations and their join are the walk's session half, spelled
    out again (another package's file): a change to one must be made to the other."""
    walk = queries.statement("funnels", "walk")
    fill = named("clickstream.warehouse", "funnel_days.sql")["fill"]

    def chain(text: str) -> str:
        start = text.index("ARRAY[s1.t")
        return " ".join(text[start : text.index("s2.t >= s1.t", start)].split())

    assert chain(walk) == chain(fill)
    for text in (walk, fill):
        for k in range(2, 21):
            step = re.search(rf"\ns{k} AS \((.*?)\n\),", text, re.DOTALL)
            assert step, k
            assert f"step_kind = (%(step_kinds)s::text[])[{k}]" in step[1]
            assert f"step_value = (%(step_values)s::text[])[{k}]" in step[1]
