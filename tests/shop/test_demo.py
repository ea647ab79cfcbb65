"""`demo traffic` through a real ingest API: back-dated, funnel-shaped, partly signed in."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import Engine

from clickstream import utc
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.shop.app import build_app, token_policy
from clickstream.shop.db import session_factory
from clickstream.shop.demo import plan_traffic, send_traffic, shop_tokens
from tests.conftest import ServerThread, free_port, lake_records
from tests.shop.fixtures import authorizing_ingest, shop_settings


def test_demo_plan_is_repeatable_and_shaped_like_a_funnel() -> None:
    batches, report = plan_traffic(300, 7, seed=3)
    again, _ = plan_traffic(300, 7, seed=3)
    assert [b.events[0]["event_name"] for b in batches] == [
        b.events[0]["event_name"] for b in again
    ]
    names = Counter(e["event_name"] for b in batches for e in b.events)
    assert names["page_view"] > names["product_view"] > names["add_to_cart"]
    assert names["add_to_cart"] > names["begin_checkout"] >= names["purchase"] > 0
    assert 0 < report.bots < report.visitors // 5
    per_client = Counter(e["client_id"] for b in batches for e in b.events if e["is_first_visit"])
    assert len(per_client) == 300 and set(per_client.values()) == {1}
    assert report.sessions > report.visitors  # some visitors come back


def test_demo_traffic_lands_back_dated_with_true_signed_in_sessions(
    shop_engine: Engine, media_dir: Path, lake_dir: Path, warehouse_url: str
) -> None:
    shop_port = free_port()
    shop_url = f"http://127.0.0.1:{shop_port}"
    settings = shop_settings(media_dir, shop_public_url=shop_url)
    policy = token_policy(settings)
    tokens = shop_tokens(session_factory(shop_engine), policy)
    with (
        ServerThread(build_app(settings, shop_engine), port=shop_port),
        ServerThread(authorizing_ingest(lake_dir, shop_url, policy)) as ingest,
    ):
        report = send_traffic(f"{ingest.url}/clickstream", 60, 3, seed=11, tokens=tokens)

    records = lake_records(lake_dir)
    assert len(records) == report.events
    assert len({r["client_id"] for r in records}) == 60
    now = utc.now()
    times = [datetime.fromisoformat(str(r["event_timestamp"])) for r in records]
    assert all(now - timedelta(days=3) < t < now for t in times)
    assert len({t.date() for t in times}) >= 2  # spread over the days, kept as client time
    assert all(r["event_timestamp"] == r["client_timestamp"] for r in records)
    signed_in = [r for r in records if r["user_login_state"] == "logged_in"]
    assert signed_in and all(r["identity_source"] == shop_url for r in signed_in)
    assert {r["event_name"] for r in records if r["event_name"] == "purchase"} <= {
        r["event_name"] for r in signed_in
    }
    assert any("bot" in str(r["user_agent"]) for r in records)

    result = run_etl(warehouse_url, open_lake(str(lake_dir)))
    assert result.loaded == report.events
    with psycopg.connect(warehouse_url) as conn:
        revenue = conn.execute(
            "SELECT sum(order_total) FROM clickstream_events WHERE event_name = 'purchase'"
        ).fetchone()
    assert revenue is not None and revenue[0] > 0


def test_shop_and_demo_commands_explain_themselves() -> None:
    import subprocess
    import sys

    for command in (["shop", "serve"], ["demo", "traffic"]):
        shown = subprocess.run(
            [sys.executable, "-m", "clickstream", *command, "--help"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0 and "Example" in shown.stdout
