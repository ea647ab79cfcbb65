"""The DuckDB transform: contract checks, legacy names, user agents, bots, torn files."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import psycopg
import pytest

from clickstream.etl.run import run_etl
from clickstream.etl.transform import connect
from clickstream.lake import open_lake
from tests.etl.lakefiles import HOUR, put, record

UA = {
    "chrome_windows": (
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0.0.0 Safari/537.36",
        ("desktop", "Chrome", "Windows", False),
    ),
    "safari_iphone": (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1",
        ("mobile", "Safari", "iOS", False),
    ),
    "firefox_linux": (
        "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
        ("desktop", "Firefox", "Linux", False),
    ),
    "edge_mac": (
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/120.0 Safari/537.36 Edg/120.0",
        ("desktop", "Edge", "macOS", False),
    ),
    "android_tablet": (
        "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36",
        ("tablet", "Chrome", "Android", False),
    ),
    "android_phone": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Mobile Safari/537.36",
        ("mobile", "Chrome", "Android", False),
    ),
    "googlebot": (
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        ("bot", "bot", "other", True),
    ),
    "curl": ("curl/8.5.0", ("bot", "bot", "other", True)),
    "headless": (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
        ("bot", "bot", "Linux", True),
    ),
}


@pytest.mark.parametrize("name", sorted(UA))
def test_user_agent_parser_names_device_browser_os_and_bots(name: str) -> None:
    agent, expected = UA[name]
    con = connect(1, "256MB")
    got = con.execute(
        "SELECT ua_device_type($1), ua_browser($1), ua_os($1), ua_is_bot($1)", [agent]
    ).fetchone()
    assert got == expected


def test_missing_user_agent_is_unknown_and_not_a_bot() -> None:
    con = connect(1, "256MB")
    got = con.execute(
        "SELECT ua_device_type(NULL), ua_browser(''), ua_os(NULL), ua_is_bot(NULL)"
    ).fetchone()
    assert got == ("unknown", "unknown", "unknown", False)


def test_storefront_names_and_anonymous_state_are_mapped_and_unknown_fields_tolerated(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    legacy = [
        record(old, user_login_state="anonymous", element={"tag": "button"}, extra_field=1)
        for old in (
            "add_to_cart_click",
            "remove_from_cart_click",
            "checkout_start",
            "checkout_complete",
            "login_success",
        )
    ]
    put(lake, HOUR, [*legacy, record("custom_event", user_agent=UA["googlebot"][0])])

    result = run_etl(warehouse_url, lake)

    assert (result.loaded, result.rejected) == (6, 0)
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT event_name, user_login_state, is_bot, device_type, browser, os "
            "FROM clickstream_events ORDER BY received_at, event_name"
        ).fetchall()
    names = sorted(r[0] for r in rows)
    assert names == sorted(
        ["add_to_cart", "remove_from_cart", "begin_checkout", "purchase", "login", "custom_event"]
    )
    assert {r[1] for r in rows if r[0] != "custom_event"} == {"guest"}
    assert {(r[0], r[2], r[3]) for r in rows if r[2]} == {("custom_event", True, "bot")}
    assert {(r[3], r[4], r[5]) for r in rows if not r[2]} == {("desktop", "Chrome", "Windows")}


def test_contract_violations_are_quarantined_with_their_reasons(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    key = put(
        lake,
        HOUR,
        [
            record(),
            record(event_name="Bad Name"),
            record(event_timestamp="yesterday"),
            record(product={"id": "p", "price": "cheap"}),
            record(product={"id": "p", "price": 1e20}),
            record(order={"id": "o", "item_count": 1.5}),
            record(is_first_visit="maybe"),
            record(page_url="a\u0000b"),
            record(received_at=None),
            json.dumps([1]),
        ],
    )

    result = run_etl(warehouse_url, lake)

    assert (result.received, result.loaded, result.rejected) == (10, 1, 9)
    with psycopg.connect(warehouse_url) as conn:
        rows = conn.execute(
            "SELECT line_number, reason, source_file FROM etl_quarantine ORDER BY line_number"
        ).fetchall()
    assert [(r[0], r[1]) for r in rows] == [
        (2, "event_name breaks the naming rule"),
        (3, "event_timestamp is not a timestamp"),
        (4, "product.price is not a number in range"),
        (5, "product.price is not a number in range"),
        (6, "order.item_count is not a whole number"),
        (7, "is_first_visit is not a boolean"),
        (8, "contains a NUL character"),
        (9, "missing received_at"),
        (10, "line is not a JSON object"),
    ]
    assert {r[2] for r in rows} == {key}


def test_torn_gzip_file_keeps_its_whole_lines_and_quarantines_the_fault(
    lake_dir: Path, warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    body = "\n".join(json.dumps(record()) for _ in range(50)).encode() + b"\n"
    data = gzip.compress(body)
    key = "events/2026/11/24/10/n1-20261124T100000000000Z-000001.ndjson.gz"
    lake.put(key, data[: len(data) * 2 // 3])

    result = run_etl(warehouse_url, lake)

    assert result.status == "succeeded"
    assert 0 < result.loaded < 50
    assert result.received == result.loaded + result.rejected
    with psycopg.connect(warehouse_url) as conn:
        reasons = [r[0] for r in conn.execute("SELECT reason FROM etl_quarantine")]
    assert any(r.startswith("corrupt gzip stream") for r in reasons)


def test_timestamps_the_warehouse_cannot_hold_are_quarantined_and_the_run_goes_on(
    lake_dir: Path, warehouse_url: str
) -> None:
    # DuckDB reads all of these as timestamps; PostgreSQL cannot store some, and no day can be
    # derived for the others. 9999-12-31 is the last day a timestamp may fall on.
    lake = open_lake(str(lake_dir))
    last_day = "9999-12-31T23:59:59.999999+00:00"
    put(
        lake,
        HOUR,
        [
            record(),
            record(event_timestamp="infinity"),
            record(event_timestamp="-infinity"),
            record(client_timestamp="infinity"),
            record(client_timestamp="-infinity"),
            record(received_at="infinity"),
            record(event_timestamp="-5000-01-01T00:00:00+00:00"),
            record(event_timestamp="12000-01-01T00:00:00+00:00"),
            record(event_timestamp=last_day),
        ],
    )

    result = run_etl(warehouse_url, lake)

    assert result.status == "succeeded"
    assert (result.received, result.loaded, result.rejected) == (9, 2, 7)
    with psycopg.connect(warehouse_url) as conn:
        reasons = conn.execute(
            "SELECT line_number, reason FROM etl_quarantine ORDER BY line_number"
        ).fetchall()
        stored = conn.execute(
            "SELECT max(event_timestamp)::text FROM clickstream_events_default"
        ).fetchone()
        derived = conn.execute("SELECT count(*) FROM sessions WHERE day = '9999-12-31'").fetchone()
    assert reasons == [
        (2, "event_timestamp is not a timestamp"),
        (3, "event_timestamp is not a timestamp"),
        (4, "client_timestamp is not a timestamp"),
        (5, "client_timestamp is not a timestamp"),
        (6, "received_at is not a timestamp"),
        (7, "event_timestamp is not a timestamp"),
        (8, "event_timestamp is not a timestamp"),
    ]
    assert stored == ("9999-12-31 23:59:59.999999+00",)
    assert derived == (1,)
