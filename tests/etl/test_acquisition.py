"""The ETL's acquisition, technology and geography columns: per event, per session (from its
first event) and in traffic_daily; a user's channel rules; a bad rules file fails the run."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from clickstream.etl.configuration import EtlOptions
from clickstream.etl.rebuild import rebuild
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from tests.etl.lakefiles import HOUR, put, record

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
SHOP = "https://shop.example"


def _lake(lake_dir: Path) -> None:
    email = dict(client_id="c-mail", session_id="s-mail", country="NL", region="NL-NH")
    search = dict(client_id="c-search", session_id="s-search", user_agent=IPHONE)
    lines = [
        # An e-mail campaign's visitor who buys: later pages carry no tags, and their referrer
        # is the shop itself; the session keeps its landing's source.
        record(
            "page_view",
            HOUR,
            page_url=f"{SHOP}/?utm_source=newsletter&utm_medium=email&utm_campaign=winter",
            **email,
        ),
        record(
            "page_view",
            HOUR + timedelta(minutes=1),
            page_url=f"{SHOP}/p/1",
            referrer=f"{SHOP}/",
            **email,
        ),
        record(
            "purchase",
            HOUR + timedelta(minutes=2),
            page_url=f"{SHOP}/done",
            referrer=f"{SHOP}/p/1",
            order={"id": "o1", "total": 30, "currency": "EUR"},
            **email,
        ),
        # A search visitor on a phone, from a line written before the ingest looked up
        # countries (no country field at all).
        record(
            "page_view", HOUR, page_url=f"{SHOP}/", referrer="https://www.google.com/", **search
        ),
        record("page_view", HOUR + timedelta(minutes=3), page_url=f"{SHOP}/?gclid=x", **search),
    ]
    put(open_lake(str(lake_dir)), HOUR, lines)


EVENTS = (
    "SELECT session_id, utm_source, utm_medium, utm_campaign, click_id_name, referrer_host, "
    "traffic_source, traffic_medium, channel, country, region "
    "FROM clickstream_events ORDER BY session_id, event_timestamp"
)
SESSIONS = (
    "SELECT session_id, channel, source, medium, campaign, referrer_host, country, region, "
    "device_type, browser, os FROM sessions ORDER BY session_id"
)
TRAFFIC = "SELECT * FROM traffic_daily ORDER BY channel"


def test_events_and_sessions_carry_source_channel_device_and_country_and_rebuild_fills_them(
    warehouse_url: str, tmp_path: Path
) -> None:
    _lake(tmp_path / "lake")
    lake = open_lake(str(tmp_path / "lake"))
    assert run_etl(warehouse_url, lake).status == "succeeded"
    with psycopg.connect(warehouse_url) as conn:
        events = conn.execute(EVENTS).fetchall()
        sessions = conn.execute(SESSIONS).fetchall()
        traffic = conn.execute(
            "SELECT channel, source, medium, campaign, device_type, browser, os, country, "
            "sessions, purchasing_sessions, revenue FROM traffic_daily ORDER BY channel"
        ).fetchall()
    assert events == [
        ("s-mail", "newsletter", "email", "winter", None, None, "newsletter", "email", "Email",
         "NL", "NL-NH"),
        ("s-mail", None, None, None, None, None, None, None, "Direct", "NL", "NL-NH"),
        ("s-mail", None, None, None, None, None, None, None, "Direct", "NL", "NL-NH"),
        ("s-search", None, None, None, None, "google.com", "google.com", "referral",
         "Organic Search", None, None),
        ("s-search", None, None, None, "gclid", None, "google", "cpc", "Paid Search", None, None),
    ]  # fmt: skip
    assert sessions == [
        ("s-mail", "Email", "newsletter", "email", "winter", None, "NL", "NL-NH", "desktop",
         "Chrome", "Windows"),
        ("s-search", "Organic Search", "google.com", "referral", None, "google.com", None, None,
         "mobile", "Safari", "iOS"),
    ]  # fmt: skip
    assert traffic == [
        ("Email", "newsletter", "email", "winter", "desktop", "Chrome", "Windows", "NL", 1, 1,
         30),
        ("Organic Search", "google.com", "referral", "(none)", "mobile", "Safari", "iOS",
         "unknown", 1, 0, 0),
    ]  # fmt: skip

    # Events loaded before migration 0081 have these columns empty: `etl rebuild` fills them
    # from the lake (the country from the lake line, where the ingest had looked it up).
    with psycopg.connect(warehouse_url) as conn:
        before = [conn.execute(q).fetchall() for q in (EVENTS, SESSIONS, TRAFFIC)]
        conn.execute(
            "UPDATE clickstream_events SET country = NULL, region = NULL, referrer_host = NULL, "
            "utm_source = NULL, utm_medium = NULL, utm_campaign = NULL, utm_term = NULL, "
            "utm_content = NULL, click_id_name = NULL, click_id = NULL, traffic_source = NULL, "
            "traffic_medium = NULL, channel = NULL"
        )
        conn.execute("UPDATE sessions SET channel = NULL, source = NULL, country = NULL")
        conn.execute("DELETE FROM traffic_daily")
    assert rebuild(warehouse_url, lake).status == "succeeded"
    with psycopg.connect(warehouse_url) as conn:
        assert [conn.execute(q).fetchall() for q in (EVENTS, SESSIONS, TRAFFIC)] == before


def test_a_bad_rules_file_fails_the_run_and_a_users_file_names_the_channels(
    warehouse_url: str, tmp_path: Path
) -> None:
    _lake(tmp_path / "lake")
    lake = open_lake(str(tmp_path / "lake"))
    rules = tmp_path / "rules.toml"
    rules.write_text('[[rules]]\nchannel = "Broken"\nmedium = "(cpc"\n')
    with pytest.raises(Exception, match=r"rule 1 \(Broken\): `medium` is not a valid"):
        run_etl(warehouse_url, lake, options=EtlOptions(channel_rules=rules))
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM clickstream_events").fetchone() == (0,)

    rules.write_text('[[rules]]\nchannel = "Newsletter"\nsource = "newsletter"\n')
    result = run_etl(warehouse_url, lake, options=EtlOptions(channel_rules=rules))
    assert result.status == "succeeded"
    with psycopg.connect(warehouse_url) as conn:
        found = conn.execute("SELECT session_id, channel FROM sessions ORDER BY 1").fetchall()
    assert found == [("s-mail", "Newsletter"), ("s-search", "Unassigned")]
