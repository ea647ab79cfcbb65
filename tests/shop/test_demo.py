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
from clickstream.shop.demo import Batch, plan_traffic, send_traffic, shop_tokens
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
    sign_ups = [r for r in records if r["event_name"] == "sign_up"]
    assert sign_ups and all(r["user_login_state"] == "logged_in" for r in sign_ups)

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


def _landings(batches: list[Batch]) -> list[dict[str, object]]:
    """The first event of every session of a person (bots crawl without referrers)."""
    firsts: dict[str, dict[str, object]] = {}
    for batch in batches:
        if "bot" in batch.user_agent:
            continue
        for event in batch.events:
            firsts.setdefault(str(event["session_id"]), event)
    return list(firsts.values())


def test_demo_pages_live_on_the_shop_url_it_is_given() -> None:
    batches, _ = plan_traffic(50, 3, seed=5, base_url="http://127.0.0.1:28000")
    urls = [str(e["page_url"]) for b in batches for e in b.events]
    assert urls and all(u.startswith("http://127.0.0.1:28000/") for u in urls)


def test_demo_sessions_come_from_search_social_email_and_direct() -> None:
    batches, report = plan_traffic(300, 7, seed=3)
    landings = _landings(batches)
    referrers = Counter(
        str(e["referrer"]).split("/")[2] if e["referrer"] else None for e in landings
    )
    search = sum(referrers[h] for h in ("www.google.com", "www.bing.com", "duckduckgo.com"))
    social = sum(referrers[h] for h in ("www.facebook.com", "t.co", "www.instagram.com"))
    campaigns = [e for e in landings if "utm_medium=email" in str(e["page_url"])]
    direct = [e for e in landings if not e["referrer"] and "utm_" not in str(e["page_url"])]
    referral = sum(
        referrers[h] for h in ("blog.example.org", "news.example.com", "deals.example.net")
    )
    paid = [e for e in landings if "gclid=" in str(e["page_url"]) or "paid_" in str(e["page_url"])]
    assert search > social > 0 and len(campaigns) > 0 and len(direct) > 0
    assert referral > 0 and len(paid) > 0
    assert all("utm_source=" in str(e["page_url"]) and "utm_campaign=" in str(e["page_url"])
               for e in campaigns)  # fmt: skip
    assert search + social + len(campaigns) + len(direct) + referral == len(landings)
    assert len(landings) < report.sessions  # the bots' sessions are the rest
    # Inside the shop, a page's referrer is the page before it.
    events = [e for b in batches for e in b.events if e["event_name"] == "page_view"]
    inner = [e for e in events if e["referrer"] and "127.0.0.1" in str(e["referrer"])]
    assert inner and all(e["referrer"] != e["page_url"] for e in inner)


def test_demo_views_cart_checkout_and_search_pages_in_funnel_proportions() -> None:
    batches, _ = plan_traffic(300, 7, seed=3)
    paths = Counter(
        str(e["page_url"]).split("127.0.0.1:8000", 1)[1].split("?")[0]
        for b in batches
        for e in b.events
        if e["event_name"] == "page_view"
    )
    assert paths["/"] > paths["/search"] > 0
    assert paths["/search"] > paths["/checkout"] > 0
    assert paths["/cart"] > paths["/checkout"]
    names = Counter(e["event_name"] for b in batches for e in b.events)
    assert paths["/cart"] <= names["add_to_cart"]  # a cart page follows adding, not always
    assert paths["/checkout"] == names["begin_checkout"]


def test_demo_traffic_stays_under_the_rate_limit_and_lands_on_the_given_shop(
    lake_dir: Path, tmp_path: Path
) -> None:
    import httpx

    from clickstream.ingest.configuration import IngestSettings
    from clickstream.ingest.http.app import build_app as build_ingest
    from clickstream.shop.demo import under_limit

    per_second, burst = 40.0, 20
    settings = IngestSettings(  # type: ignore[call-arg]
        lake_url=str(lake_dir),
        data_dir=tmp_path / "ingest-data",
        node_id="demo",
        ingest_rate_limit_per_second=per_second,
        ingest_rate_limit_burst=burst,
    )
    with ServerThread(build_ingest(settings)) as ingest:
        report = send_traffic(
            f"{ingest.url}/clickstream", 60, 3, seed=11, workers=8,
            pace=under_limit(per_second, burst), base_url="http://127.0.0.1:28000",
        )  # fmt: skip
        metrics = httpx.get(f"{ingest.url}/metrics").text
    assert report.requests > burst * 2  # enough requests that an unpaced run trips the limit
    assert report.throttled == 0
    limited = [
        line for line in metrics.splitlines()
        if line.startswith("clickstream_ingest_rejected_requests_total") and "rate" in line
    ]  # fmt: skip
    assert all(float(line.rsplit(" ", 1)[1]) == 0 for line in limited)
    pages = {str(r["page_url"]).split("/")[2] for r in lake_records(lake_dir)}
    assert pages == {"127.0.0.1:28000"}
