"""Retention and journey roll-ups on a hand-made set: a returning visitor, a late event that
moves a visitor's first day earlier, an erasure, and one session's steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.ops.erasure import erase_subject
from clickstream.runtime.postgres import EmbeddedPostgres
from clickstream.warehouse.migrate import migrate
from tests.conftest import scratch_database
from tests.etl.lakefiles import HOUR, put, record

# HOUR is Tuesday 24 November 2026, 10:00 UTC.
TUE, WED, THU = date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 26)
NEXT_TUE = date(2026, 12, 1)
HOME, PRODUCT, DONE = (
    "https://shop.example/",
    "https://shop.example/p/1",
    "https://shop.example/done",
)


@pytest.fixture
def warehouse_url(embedded_pg: EmbeddedPostgres) -> Iterator[str]:
    """A fresh warehouse on the embedded server only: the roll-ups are plain SQL that the
    dashboard's query tests already run on both kinds of server."""
    running = embedded_pg.running()
    assert running is not None
    with scratch_database(running.url("postgres")) as url:
        migrate(url)
        yield url


def _at(day: date, minute: int) -> datetime:
    return HOUR + timedelta(days=(day - TUE).days, minutes=minute)


def _visit(client: str, session: str, day: date, steps: list[tuple[str, str]]) -> list[Any]:
    return [
        record(name, _at(day, i), client_id=client, session_id=session, page_url=url)
        for i, (name, url) in enumerate(steps)
    ]


def _cohorts(url: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT day, first_day, visitors, purchasers, week_visitors, week_purchasers "
            "FROM retention_daily ORDER BY day, first_day"
        ).fetchall()


def _first_seen(url: str) -> dict[str, date]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT client_id, first_day FROM visitor_first_seen").fetchall()
    return dict(rows)


def test_returning_visitor_late_event_and_erasure_keep_cohorts_right(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    buy = [("page_view", HOME), ("page_view", PRODUCT), ("purchase", DONE)]
    put(
        lake,
        HOUR,
        [
            *_visit("c-a", "s-a1", TUE, buy),
            *_visit("c-a", "s-a2", WED, [("page_view", HOME)]),
            *_visit("c-a", "s-a3", NEXT_TUE, [("page_view", PRODUCT)]),
            *_visit("c-b", "s-b1", THU, [("page_view", PRODUCT)]),
        ],
    )
    run_etl(warehouse_url, lake)
    assert _first_seen(warehouse_url) == {"c-a": TUE, "c-b": THU}
    # A on Tuesday (bought), again Wednesday (same week: not counted again weekly) and next
    # Tuesday; B's cohort is Thursday.
    assert _cohorts(warehouse_url) == [
        (TUE, TUE, 1, 1, 1, 1),
        (WED, TUE, 1, 0, 0, 0),
        (THU, THU, 1, 0, 1, 0),
        (NEXT_TUE, TUE, 1, 0, 1, 0),
    ]

    # A late event: B was first here on Tuesday. B joins Tuesday's cohort and Thursday's
    # cohort is gone; Thursday is no longer B's first day of that week.
    put(lake, HOUR + timedelta(hours=1), _visit("c-b", "s-b0", TUE, [("page_view", HOME)]))
    run_etl(warehouse_url, lake)
    assert _first_seen(warehouse_url) == {"c-a": TUE, "c-b": TUE}
    assert _cohorts(warehouse_url) == [
        (TUE, TUE, 2, 1, 2, 1),
        (WED, TUE, 1, 0, 0, 0),
        (THU, TUE, 1, 0, 0, 0),
        (NEXT_TUE, TUE, 1, 0, 1, 0),
    ]

    erase_subject(warehouse_url, lake, "client_id", "c-a")
    assert _first_seen(warehouse_url) == {"c-b": TUE}
    assert _cohorts(warehouse_url) == [(TUE, TUE, 1, 0, 1, 0), (THU, TUE, 1, 0, 0, 0)]


def test_journeys_count_steps_around_each_step_and_entry_exit_pages(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    # A reload of the product page counts once; the bounce is its own entry and exit.
    steps = [
        ("page_view", HOME),
        ("page_view", PRODUCT),
        ("page_view", PRODUCT),
        ("add_to_cart", PRODUCT),
        ("purchase", DONE),
    ]
    put(
        lake,
        HOUR,
        [*_visit("c-a", "s-a", TUE, steps), *_visit("c-b", "s-b", TUE, [("page_view", HOME)])],
    )
    run_etl(warehouse_url, lake)
    with psycopg.connect(warehouse_url) as conn:
        home = conn.execute(
            "SELECT depth, step_from, step_to, transitions FROM journey_daily "
            "WHERE anchor = %s ORDER BY depth, step_from, step_to",
            (HOME,),
        ).fetchall()
        purchase = conn.execute(
            "SELECT depth, step_from, step_to, transitions FROM journey_daily "
            "WHERE anchor = 'purchase' ORDER BY depth"
        ).fetchall()
        ends = conn.execute(
            "SELECT kind, page, sessions, purchasing_sessions FROM entry_exit_daily "
            "ORDER BY kind, page"
        ).fetchall()
    assert home == [
        (-1, "(entrance)", HOME, 2),
        (1, HOME, "(exit)", 1),
        (1, HOME, PRODUCT, 1),
        (2, PRODUCT, "add_to_cart", 1),
        (3, "add_to_cart", "purchase", 1),
    ]
    assert purchase == [
        (-3, HOME, PRODUCT, 1),
        (-2, PRODUCT, "add_to_cart", 1),
        (-1, "add_to_cart", "purchase", 1),
        (1, "purchase", "(exit)", 1),
    ]
    assert ends == [
        ("entry", HOME, 2, 1),
        ("exit", HOME, 1, 0),
        ("exit", DONE, 1, 1),
    ]
