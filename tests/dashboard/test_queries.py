"""Every panel's SQL, run as the read-only role, agrees with SQL over `clickstream_events`
on both kinds of server, and answers an empty warehouse with zeros and empty lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest

from clickstream.dashboard.filters import Filters, choices_of
from clickstream.dashboard.pages import by_period, fetch, funnel, overview, sessions
from clickstream.dashboard.queries import panels
from clickstream.dashboard.warehouse import Warehouse, WarehouseUnavailable
from tests.dashboard.conftest import as_dashboard
from tests.dashboard.data import (
    FUNNEL_SQL,
    IDENTITY_SQL,
    OVERVIEW_SQL,
    PRODUCTS_SQL,
    SESSION_ORIGINS,
    SESSIONS_SQL,
    many,
    one,
    origins_sql,
    params,
)

FILTER_CASES = [(None, False), ("logged_in", False), ("guest", True), (None, True)]


@pytest.fixture(scope="module")
def warehouse(populated_url_any_server: str) -> Iterator[Warehouse]:
    found = Warehouse(as_dashboard(populated_url_any_server))
    yield found
    found.close()


def _week(today: date, login: str | None, bots: bool) -> Filters:
    return Filters(today - timedelta(days=6), today, login, bots)


@pytest.mark.parametrize(("login", "bots"), FILTER_CASES)
def test_overview_kpis_equal_sql_over_events_for_both_periods(
    warehouse: Warehouse,
    populated_url_any_server: str,
    today: date,
    login: str | None,
    bots: bool,
) -> None:
    filters = _week(today, login, bots)
    tables = fetch(warehouse, "overview", overview.QUERIES, filters)
    assert not isinstance(tables, WarehouseUnavailable)
    shown = {k.key: (k.current, k.previous) for k in overview.headline_kpis(tables)}
    for index, period in enumerate((filters, filters.previous())):
        want = one(
            populated_url_any_server, OVERVIEW_SQL, params(period.start, period.end, login, bots)
        )
        assert want["sessions"] > 0, "the fixture must give every period some sessions"
        got = {key: pair[index] for key, pair in shown.items()}
        assert got["events"] == want["events"]
        assert got["visitors"] == want["visitors"]
        assert got["sessions"] == want["sessions"]
        assert got["revenue"] == want["revenue"]
        assert got["conversion"] == pytest.approx(want["purchasing_sessions"] / want["sessions"])
        if want["purchases"]:
            assert got["aov"] == pytest.approx(float(want["revenue"]) / want["purchases"])


@pytest.mark.parametrize(("login", "bots"), FILTER_CASES[:2])
def test_funnel_steps_equal_sessions_reaching_each_step_in_sql(
    warehouse: Warehouse,
    populated_url_any_server: str,
    today: date,
    login: str | None,
    bots: bool,
) -> None:
    filters = _week(today, login, bots)
    tables = fetch(warehouse, "funnel", ("steps",), filters)
    assert not isinstance(tables, WarehouseUnavailable)
    for period, label in ((filters, "current"), (filters.previous(), "previous")):
        want = one(
            populated_url_any_server, FUNNEL_SQL, params(period.start, period.end, login, bots)
        )
        assert funnel.totals(tables["steps"], label) == want
    assert want["purchase"] > 0


def test_products_sessions_and_identity_panels_equal_sql_over_events(
    warehouse: Warehouse, populated_url_any_server: str, today: date
) -> None:
    filters = _week(today, None, False)
    p = params(filters.start, filters.end)
    top = fetch(warehouse, "products", ("top_products",), filters, limit=20, rank="views")
    assert not isinstance(top, WarehouseUnavailable)
    want_products = many(populated_url_any_server, PRODUCTS_SQL, p)
    assert [
        (r["product_id"], r["views"], r["cart_adds"], r["purchases"], r["revenue"])
        for r in top["top_products"]
    ] == [
        (r["product_id"], r["views"], r["cart_adds"], r["purchases"], r["revenue"])
        for r in want_products
    ]

    found = fetch(warehouse, "sessions", ("kpis",), filters)
    assert not isinstance(found, WarehouseUnavailable)
    now, _ = by_period(found["kpis"])
    want = one(populated_url_any_server, SESSIONS_SQL, p)
    shown = sessions.session_kpis(now)
    assert shown["sessions"] == want["sessions"]
    assert shown["bounce_rate"] == pytest.approx(want["bounces"] / want["sessions"])
    assert shown["events_per_session"] == pytest.approx(float(want["events"]) / want["sessions"])
    assert shown["avg_duration"] == pytest.approx(
        float(want["duration_seconds"]) / want["sessions"]
    )

    identity = fetch(warehouse, "behaviour", ("identity_sources",), filters, limit=15)
    assert not isinstance(identity, WarehouseUnavailable)
    assert identity["identity_sources"] == many(populated_url_any_server, IDENTITY_SQL, p)
    assert identity["identity_sources"], "the fixture has logged-in events"


def test_every_panel_answers_an_empty_warehouse_with_empty_results(
    empty_url_any_server: str, today: date
) -> None:
    warehouse = Warehouse(as_dashboard(empty_url_any_server))
    filters = _week(today, None, False)
    try:
        for page, name in panels():
            extra = {
                "limit": 10,
                "rank": "revenue",
                "event": "click",
                "property": "element",
                "dimension": "channel",
                "step_kinds": ["page", "event"],
                "step_values": ["/", "purchase"],
                "window": "days",
                "window_days": 7,
                "grain": "week",
                "periods": 12,
                "anchor": "https://shop.example/",
            }
            rows = warehouse.rows(page, name, filters.params(**extra))
            for row in rows:
                numbers = [v for k, v in row.items() if isinstance(v, int | Decimal)]
                assert all(v == 0 for v in numbers) or name == "freshness", (page, name, row)
        tables = fetch(warehouse, "overview", overview.QUERIES, filters)
        assert not isinstance(tables, WarehouseUnavailable)
        assert [(k.current, k.previous) for k in overview.headline_kpis(tables)][:3] == [(0, 0)] * 3
    finally:
        warehouse.close()


def test_dashboard_role_reads_but_cannot_write(populated_url_any_server: str) -> None:
    with psycopg.connect(as_dashboard(populated_url_any_server)) as conn:
        assert conn.execute("SELECT count(*) FROM sessions").fetchone() != (0,)
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM sessions")


def test_unreachable_warehouse_is_reported_not_raised(today: date) -> None:
    warehouse = Warehouse("postgresql://nobody@127.0.0.1:1/none")
    try:
        found = fetch(warehouse, "overview", ("kpis",), _week(today, None, False))
    finally:
        warehouse.close()
    assert isinstance(found, WarehouseUnavailable)
    assert "not reachable" in str(found)


# The device type each of the test data's user agents is (ua-parser's answer, as a shop owner
# would say it).
DEVICES = {
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)": "bot",
    "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0": "desktop",
}


@pytest.mark.parametrize(("login", "bots"), FILTER_CASES[:2] + FILTER_CASES[3:])
def test_acquisition_technology_and_geography_equal_sql_over_events(
    warehouse: Warehouse,
    populated_url_any_server: str,
    today: date,
    login: str | None,
    bots: bool,
) -> None:
    filters = _week(today, login, bots)
    checks = (
        ("channel", "channel"),
        ("country", "country"),
        ("region", "region"),  # only known regions, from their own statement
        ("device", "agent"),
    )
    for name, dimension in checks:
        statement = "regions" if name == "region" else "breakdown"
        found = warehouse.rows("traffic", statement, filters.params(limit=50, dimension=name))
        got = {r["label"]: r for r in found}
        for period, prefix in ((filters, ""), (filters.previous(), "prev_")):
            want: dict[str, list[int | Decimal]] = {}
            for row in many(
                populated_url_any_server,
                origins_sql(dimension),
                params(period.start, period.end, login, bots),
            ):
                label = row["label"]
                if dimension == "agent":
                    label = DEVICES.get(label, "mobile" if "iPhone" in label else "desktop")
                totals = want.setdefault(label, [0, 0, Decimal(0)])
                totals[0] += row["sessions"]
                totals[1] += row["purchasing_sessions"]
                totals[2] += row["revenue"]
            shown = {
                label: [r[prefix + "sessions"], r[prefix + "purchasing_sessions"],
                        r[prefix + "revenue"]]
                for label, r in got.items() if r[prefix + "sessions"]
            }  # fmt: skip
            assert shown == want, (name, prefix)
            assert len(want) > 1


def test_regions_follow_the_country_and_site_filters(warehouse: Warehouse, today: date) -> None:
    base = _week(today, None, False)

    def regions(**narrowed: Any) -> dict[str, int]:
        filters = Filters(base.start, base.end, **narrowed)
        rows = warehouse.rows("traffic", "regions", filters.params(limit=None))
        return {r["label"]: r["sessions"] for r in rows if r["sessions"]}

    every = regions()
    assert set(every) == {"NL-NH", "NL-ZH", "DE-BY"}
    assert regions(country="NL") == {k: v for k, v in every.items() if k.startswith("NL-")}
    assert regions(country="US") == {}  # a country the database gives no region for
    assert regions(sites=("default",)) == every  # the test data's events have no site_id
    assert regions(sites=("another",)) == {}


def test_channel_country_and_device_filters_narrow_every_breakdown_as_sql_says(
    warehouse: Warehouse, populated_url_any_server: str, today: date
) -> None:
    base = _week(today, None, False)
    for narrowed in (
        Filters(base.start, base.end, channel="Email"),
        Filters(base.start, base.end, country="NL"),
        Filters(base.start, base.end, device_type="mobile"),
    ):
        kpis = warehouse.rows("traffic", "kpis", narrowed.params())
        now, _ = by_period(kpis)
        want = many(
            populated_url_any_server,
            f"SELECT count(*) AS sessions FROM ({SESSION_ORIGINS}) o "
            "WHERE (%(channel)s::text IS NULL OR channel = %(channel)s) "
            "AND (%(country)s::text IS NULL OR country = %(country)s) "
            "AND (%(mobile)s::bool IS NULL OR (agent LIKE '%%iPhone%%') = %(mobile)s)",
            {
                **params(base.start, base.end),
                "channel": narrowed.channel,
                "country": narrowed.country,
                "mobile": True if narrowed.device_type else None,
            },
        )
        assert now["sessions"] == want[0]["sessions"] > 0
        # Every figure read from sessions narrows the same way (issue 15).
        overview, _ = by_period(warehouse.rows("overview", "kpis", narrowed.params()))
        assert (overview["sessions"], overview["revenue"]) == (now["sessions"], now["revenue"])
        sessions_now, _ = by_period(warehouse.rows("sessions", "kpis", narrowed.params()))
        assert sessions_now["sessions"] == now["sessions"]
        steps = warehouse.rows("funnel", "steps", narrowed.params())
        assert sum(r["sessions"] for r in steps if r["period"] == "current") == now["sessions"]
        devices = warehouse.rows("behaviour", "devices", narrowed.params(limit=100))
        assert sum(r["sessions"] for r in devices) == now["sessions"]
    whole, _ = by_period(warehouse.rows("overview", "kpis", base.params()))
    assert whole["sessions"] > now["sessions"]


def test_filter_choices_are_each_dimensions_values_on_the_chosen_sites(
    warehouse: Warehouse, populated_url_any_server: str
) -> None:
    want: dict[str, set[str]] = {}
    with psycopg.connect(populated_url_any_server) as conn:
        for dimension, column in (("channel", "channel"), ("country", "country"),
                                  ("device", "device_type")):  # fmt: skip
            found = conn.execute(f"SELECT DISTINCT {column} FROM traffic_daily").fetchall()
            want[dimension] = {row[0] for row in found}

    assert all(len(values) > 1 for values in want.values()), want
    assert choices_of(warehouse) == want
    assert choices_of(warehouse, ("default",)) == want  # the test data's events have no site_id
    assert choices_of(warehouse, ("another",)) == {}
