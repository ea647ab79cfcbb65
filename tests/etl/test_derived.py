"""Sessions and roll-ups computed from a known day of events."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import psycopg

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from tests.etl.lakefiles import HOUR, put, record

BOT = "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"


def _at(minutes: int) -> object:
    return HOUR + timedelta(minutes=minutes)


def _day(lake_dir: Path) -> None:
    shoe = {"id": "p1", "name": "Shoe", "category": "Shoes", "brand": "Acme", "price": 50,
            "discount_price": 40, "quantity": 2}
    buyer = dict(client_id="c-buyer", session_id="s-buy", user_id="u-1",
                 user_login_state="logged_in", is_first_visit=False)
    lines = [
        # A buying session: home -> product -> cart -> checkout -> purchase.
        record("page_view", _at(0), page_url="https://shop.example/?utm=x", referrer="r.example",
               **buyer),
        record("page_view", _at(1), page_url="https://shop.example/p/1", **buyer),
        record("product_view", _at(1), page_url="https://shop.example/p/1", product=shoe,
               **buyer),
        record("add_to_cart", _at(2), page_url="https://shop.example/p/1", product=shoe,
               **buyer),
        record("begin_checkout", _at(3), page_url="https://shop.example/checkout", **buyer),
        record("purchase", _at(5), page_url="https://shop.example/done", product=shoe,
               order={"id": "o1", "total": 80, "currency": "EUR"}, **buyer),
        # A new guest who bounces.
        record("page_view", _at(10), client_id="c-new", session_id="s-bounce",
               is_first_visit=True, page_url="https://shop.example/p/1"),
        # A bot.
        record("page_view", _at(20), client_id="c-bot", session_id="s-bot", user_agent=BOT,
               page_url="https://shop.example/"),
        record("page_view", _at(21), client_id="c-bot", session_id="s-bot", user_agent=BOT,
               page_url="https://shop.example/p/1"),
    ]
    put(open_lake(str(lake_dir)), HOUR, lines)


def test_sessions_hold_pages_counts_revenue_and_visitor_kind(
    lake_dir: Path, warehouse_url: str
) -> None:
    _day(lake_dir)
    run_etl(warehouse_url, open_lake(str(lake_dir)))

    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT session_id, client_id, user_id, duration_seconds, events, page_views, pages, "
            "landing_page, exit_page, product_views, cart_adds, has_purchase, revenue, "
            "login_state, is_bounce, visitor_type, is_bot, device_type, referrer, day::text "
            "FROM sessions ORDER BY session_id"
        ).fetchall()
    assert rows == [
        ("s-bot", "c-bot", None, 60.0, 2, 2, 2, "https://shop.example/",
         "https://shop.example/p/1", 0, 0, False, Decimal("0.00"), "guest", False, "returning",
         True, "bot", None, "2026-11-24"),
        ("s-bounce", "c-new", None, 0.0, 1, 1, 1, "https://shop.example/p/1",
         "https://shop.example/p/1", 0, 0, False, Decimal("0.00"), "guest", True, "new", False,
         "desktop", None, "2026-11-24"),
        ("s-buy", "c-buyer", "u-1", 300.0, 6, 2, 4, "https://shop.example/",
         "https://shop.example/done", 1, 1, True, Decimal("80.00"), "logged_in", False,
         "returning", False, "desktop", "r.example", "2026-11-24"),
    ]


def test_roll_ups_split_by_login_state_and_bots(lake_dir: Path, warehouse_url: str) -> None:
    _day(lake_dir)
    run_etl(warehouse_url, open_lake(str(lake_dir)))

    with psycopg.connect(warehouse_url) as conn:
        kpis = conn.execute(
            "SELECT login_state, is_bot, sessions, visitors, new_sessions, bounces, events, "
            "page_views, purchases, purchasing_sessions, revenue FROM daily_kpis ORDER BY 1, 2"
        ).fetchall()
        funnel = conn.execute(
            "SELECT login_state, is_bot, sessions, reached_page_view, reached_product_view, "
            "reached_add_to_cart, reached_begin_checkout, reached_purchase "
            "FROM funnel_daily ORDER BY 1, 2"
        ).fetchall()
        products = conn.execute(
            "SELECT product_id, login_state, name, views, cart_adds, purchases, units, revenue "
            "FROM product_daily"
        ).fetchall()
        pages = conn.execute(
            "SELECT page, is_bot, page_views, sessions, entrances, exits, bounces "
            "FROM page_daily WHERE login_state = 'guest' ORDER BY 1, 2"
        ).fetchall()
        visitors = conn.execute(
            "SELECT client_id, login_state, is_bot, sessions FROM visitor_daily ORDER BY 1"
        ).fetchall()
    assert kpis == [
        ("guest", False, 1, 1, 1, 1, 1, 1, 0, 0, Decimal("0.00")),
        ("guest", True, 1, 1, 0, 0, 2, 2, 0, 0, Decimal("0.00")),
        ("logged_in", False, 1, 1, 0, 0, 6, 2, 1, 1, Decimal("80.00")),
    ]
    assert funnel == [
        ("guest", False, 1, 1, 0, 0, 0, 0),
        ("guest", True, 1, 1, 0, 0, 0, 0),
        ("logged_in", False, 1, 1, 1, 1, 1, 1),
    ]
    assert products == [("p1", "logged_in", "Shoe", 1, 1, 1, 2, Decimal("80.00"))]
    assert pages == [
        ("https://shop.example/", True, 1, 1, 1, 0, 0),
        ("https://shop.example/p/1", False, 1, 1, 1, 1, 1),
        ("https://shop.example/p/1", True, 1, 1, 0, 1, 0),
    ]
    assert visitors == [
        ("c-bot", "guest", True, 1),
        ("c-buyer", "logged_in", False, 1),
        ("c-new", "guest", False, 1),
    ]


def test_late_file_for_an_old_hour_is_loaded_counted_late_and_its_day_rederived(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    put(lake, HOUR + timedelta(days=1), [record("page_view", HOUR + timedelta(days=1))], seq=1)
    run_etl(warehouse_url, lake)
    # A file for the previous day arrives after that day was loaded: it still loads.
    old = HOUR - timedelta(hours=3)
    put(lake, HOUR, [record("page_view", old, session_id="s-late")], seq=7)

    result = run_etl(warehouse_url, lake)

    assert (result.files, result.loaded, result.late, result.days_derived) == (1, 1, 1, 1)
    with psycopg.connect(warehouse_url) as conn:
        days = conn.execute("SELECT day::text, sessions FROM daily_kpis ORDER BY 1").fetchall()
        manifest = conn.execute("SELECT late FROM lake_manifest ORDER BY object_key").fetchall()
    assert days == [("2026-11-24", 1), ("2026-11-25", 1)]
    assert manifest == [(1,), (0,)]
