"""A small shop's fortnight as lake files, and every dashboard figure computed by SQL straight
from `clickstream_events` (never from the derived tables the dashboard reads)."""

from __future__ import annotations

import gzip
import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from psycopg.rows import dict_row

from clickstream.lake import open_lake
from tests.etl.lakefiles import CHROME, record

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0"
BOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
PRODUCTS = [
    ("p1", "Trail shoe", "shoes", "Peak", 89.90),
    ("p2", "Rain jacket", "jackets", "Nimbus", 129.00),
    ("p3", "Wool socks", "socks", "Peak", 12.50),
    ("p4", "Day pack", "bags", "Carry", 59.00),
]
DAYS = 14
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1"
)
LANDING_TAGS = ("", "", "?utm_source=newsletter&utm_medium=email&utm_campaign=spring", "?gclid=a1")
COUNTRIES = ("NL", "DE", "US", None)
# Regions as a MaxMind City database gives them: some countries' sessions have one, US none.
REGIONS = {"NL": ("NL-NH", "NL-ZH"), "DE": ("DE-BY",)}


def _event(name: str, at: datetime, session: dict[str, Any], **fields: Any) -> dict[str, Any]:
    logged_in = session["logged_in"]
    return record(
        name,
        at,
        client_id=session["client"],
        session_id=session["id"],
        user_id=f"u-{session['client']}" if logged_in else None,
        user_login_state="logged_in" if logged_in else "guest",
        identity_source=session["source"] if logged_in else None,
        user_agent=session["agent"],
        country=session["country"],
        region=session["region"],
        request_id="r",
        **fields,
    )


def _session_events(
    rng: random.Random, session: dict[str, Any], start: datetime, first_visit: bool
) -> list[dict[str, Any]]:
    at, events = start, []
    referrer = rng.choice([None, "https://www.google.com/search?q=x", "https://news.example/a"])
    landing = rng.choice(["/", "/category/shoes", "/sale"])
    events.append(
        _event(
            "page_view",
            at,
            session,
            page_url=f"https://shop.example{landing}{session['tags']}",
            referrer=referrer,
            is_first_visit=first_visit,
        )
    )
    depth = rng.random()
    if depth < 0.25:
        return events  # a bounce
    product = rng.choice(PRODUCTS)
    as_product = {
        "id": product[0],
        "name": product[1],
        "category": product[2],
        "brand": product[3],
        "price": product[4],
        "quantity": 1,
    }
    page = f"https://shop.example/product/{product[0]}"
    for name in ("page_view", "product_view"):
        at += timedelta(seconds=rng.randint(5, 120))
        events.append(
            _event(
                name,
                at,
                session,
                page_url=page,
                product=as_product if name == "product_view" else None,
            )
        )
    if rng.random() < 0.3:
        at += timedelta(seconds=20)
        events.append(_event("search", at, session, page_url="https://shop.example/search?q=a"))
    steps = [("add_to_cart", 0.55), ("begin_checkout", 0.7), ("purchase", 0.8)]
    for name, chance in steps:
        if rng.random() > chance:
            break
        at += timedelta(seconds=rng.randint(10, 200))
        order = None
        if name == "purchase":
            order = {
                "id": f"o-{session['id']}",
                "total": product[4],
                "currency": "EUR",
                "item_count": 1,
            }
        events.append(_event(name, at, session, page_url=page, product=as_product, order=order))
    return events


def fill_lake(lake_dir: Path, today: date, seed: int = 5) -> None:
    """Write `DAYS` days of sessions ending `today` as one gzip NDJSON lake object per day."""
    rng = random.Random(seed)
    # Campaign tags and countries from a generator of their own: the rest stays as it was.
    places = random.Random(seed + 1)
    lake = open_lake(str(lake_dir))
    seen_clients: set[str] = set()
    for offset in range(DAYS - 1, -1, -1):
        day = today - timedelta(days=offset)
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        lines = []
        for n in range(6 + offset % 4):
            client = f"c{rng.randint(1, 15)}"
            bot = rng.random() < 0.15
            session = {
                "id": f"s-{day:%m%d}-{n}",
                "client": client,
                "logged_in": (not bot) and rng.random() < 0.4,
                "source": rng.choice(["local", "oidc"]),
                "agent": BOT if bot else rng.choice([CHROME, FIREFOX, IPHONE]),
                "tags": places.choice(LANDING_TAGS),
                "country": places.choice(COUNTRIES),
            }
            # From the session's number, not a generator: the rest of the data stays as it was.
            regions = REGIONS.get(session["country"], (None,))
            session["region"] = regions[n % len(regions)]
            start = midnight + timedelta(minutes=rng.randint(0, 50), seconds=n)
            lines += _session_events(rng, session, start, client not in seen_clients)
            seen_clients.add(client)
        key = f"events/{day:%Y/%m/%d}/00/n1-{day:%Y%m%d}T000000000000Z-000001.ndjson.gz"
        body = "\n".join(json.dumps(line) for line in lines) + "\n"
        lake.put(key, gzip.compress(body.encode()))


# Events with the attributes of the session they belong to, cut at midnight UTC as the ETL
# cuts them: a session is logged in when any of its events is, a bot when any event is.
FILTERED_EVENTS = """
WITH ev AS (
    SELECT e.*, (e.event_timestamp AT TIME ZONE 'UTC')::date AS day,
        coalesce(e.session_id, 'client:' || e.client_id, 'event:' || e.event_id::text) AS skey
    FROM clickstream_events e
), s AS (
    SELECT day, skey, bool_or(user_login_state = 'logged_in') AS logged_in,
        bool_or(is_bot) AS bot
    FROM ev GROUP BY day, skey
)
SELECT ev.*, CASE WHEN s.logged_in THEN 'logged_in' ELSE 'guest' END AS session_login,
    s.bot AS session_bot
FROM ev JOIN s USING (day, skey)
WHERE ev.day BETWEEN %(start)s AND %(end)s
    AND (%(login)s::text IS NULL
        OR (CASE WHEN s.logged_in THEN 'logged_in' ELSE 'guest' END) = %(login)s)
    AND (%(bots)s OR NOT s.bot)
"""

OVERVIEW_SQL = f"""
SELECT count(*) AS events, count(DISTINCT client_id) AS visitors,
    count(DISTINCT (day, skey)) AS sessions,
    count(DISTINCT (day, skey)) FILTER (WHERE event_name = 'purchase') AS purchasing_sessions,
    count(*) FILTER (WHERE event_name = 'purchase') AS purchases,
    coalesce(sum(order_total) FILTER (WHERE event_name = 'purchase'), 0) AS revenue
FROM ({FILTERED_EVENTS}) f
"""

# Sessions reaching each step (any order within the session, as the ETL counts them).
FUNNEL_SQL = f"""
SELECT count(*) AS sessions,
    count(*) FILTER (WHERE pv) AS page_view,
    count(*) FILTER (WHERE pv AND prv) AS product_view,
    count(*) FILTER (WHERE pv AND prv AND atc) AS add_to_cart,
    count(*) FILTER (WHERE pv AND prv AND atc AND bc) AS begin_checkout,
    count(*) FILTER (WHERE pv AND prv AND atc AND bc AND pu) AS purchase
FROM (
    SELECT day, skey, bool_or(event_name = 'page_view') AS pv,
        bool_or(event_name = 'product_view') AS prv, bool_or(event_name = 'add_to_cart') AS atc,
        bool_or(event_name = 'begin_checkout') AS bc, bool_or(event_name = 'purchase') AS pu
    FROM ({FILTERED_EVENTS}) f GROUP BY day, skey
) per_session
"""

PRODUCTS_SQL = f"""
SELECT context_product_id AS product_id,
    count(*) FILTER (WHERE event_name = 'product_view') AS views,
    count(*) FILTER (WHERE event_name = 'add_to_cart') AS cart_adds,
    count(*) FILTER (WHERE event_name = 'purchase') AS purchases,
    coalesce(sum(context_product_price) FILTER (WHERE event_name = 'purchase'), 0) AS revenue
FROM ({FILTERED_EVENTS}) f WHERE context_product_id IS NOT NULL
GROUP BY 1 ORDER BY views DESC, product_id
"""

SESSIONS_SQL = f"""
SELECT count(*) AS sessions,
    count(*) FILTER (WHERE pages <= 1 AND NOT converting) AS bounces,
    sum(events) AS events, sum(seconds) AS duration_seconds
FROM (
    SELECT day, skey, count(*) AS events,
        count(DISTINCT nullif(split_part(split_part(page_url, '?', 1), '#', 1), '')) AS pages,
        bool_or(event_name IN ('add_to_cart', 'begin_checkout', 'purchase')) AS converting,
        extract(epoch FROM max(event_timestamp) - min(event_timestamp)) AS seconds
    FROM ({FILTERED_EVENTS}) f GROUP BY day, skey
) per_session
"""

BEHAVIOUR_SQL = f"""
SELECT count(DISTINCT (day, skey)) FILTER (WHERE session_login = 'logged_in') AS logged_in,
    count(DISTINCT (day, skey)) FILTER (WHERE session_login = 'guest') AS guest,
    count(DISTINCT (day, skey)) FILTER (WHERE is_first_visit) AS new
FROM ({FILTERED_EVENTS}) f
"""

IDENTITY_SQL = """
SELECT identity_source, count(*) AS events FROM clickstream_events
WHERE identity_source IS NOT NULL AND (%(bots)s OR NOT is_bot)
    AND (event_timestamp AT TIME ZONE 'UTC')::date BETWEEN %(start)s AND %(end)s
GROUP BY 1 ORDER BY events DESC, 1
"""

PIPELINE_SQL = """
SELECT (SELECT count(*) FROM etl_runs) AS runs,
    (SELECT coalesce(sum(loaded), 0) FROM etl_runs) AS loaded,
    (SELECT max(event_timestamp) FROM clickstream_events) AS newest_event
"""


# Sessions by the channel their first event's URL and referrer give under the default rules
# (worked out here from the test data's few landings, not read from the ETL's columns), by
# first event's country and by device type, for the filtered period.
CHANNEL_OF = """
CASE
    WHEN page_url LIKE '%%utm_medium=email%%' THEN 'Email'
    WHEN page_url LIKE '%%gclid=%%' THEN 'Paid Search'
    WHEN referrer LIKE 'https://www.google.com/%%' THEN 'Organic Search'
    WHEN referrer LIKE 'https://news.example/%%' THEN 'Referral'
    ELSE 'Direct'
END
"""
SESSION_ORIGINS = f"""
SELECT day, skey,
    (array_agg({CHANNEL_OF} ORDER BY event_timestamp, event_id))[1] AS channel,
    coalesce((array_agg(country ORDER BY event_timestamp, event_id))[1], 'unknown') AS country,
    (array_agg(region ORDER BY event_timestamp, event_id))[1] AS region,
    (array_agg(user_agent ORDER BY event_timestamp, event_id))[1] AS agent,
    bool_or(event_name = 'purchase') AS purchasing,
    coalesce(sum(order_total) FILTER (WHERE event_name = 'purchase'), 0) AS revenue
FROM ({FILTERED_EVENTS}) f GROUP BY day, skey
"""


def origins_sql(dimension: str) -> str:
    """Sessions, purchasing sessions and revenue by `channel`, `country`, `region` (known
    ones) or `agent`."""
    assert dimension in ("channel", "country", "region", "agent")
    return (
        f"SELECT {dimension} AS label, count(*) AS sessions, "
        "count(*) FILTER (WHERE purchasing) AS purchasing_sessions, sum(revenue) AS revenue "
        f"FROM ({SESSION_ORIGINS}) o WHERE {dimension} IS NOT NULL GROUP BY 1 ORDER BY 1"
    )


def params(start: date, end: date, login: str | None = None, bots: bool = False) -> dict[str, Any]:
    """The filter parameters of the reference queries."""
    return {"start": start, "end": end, "login": login, "bots": bots}


def one(url: str, query: str, values: dict[str, Any]) -> dict[str, Any]:
    """The single row of `query`."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        row = conn.execute(query, values).fetchone()  # type: ignore[arg-type]
    assert row is not None
    return row


def many(url: str, query: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    """Every row of `query`."""
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute(query, values).fetchall()  # type: ignore[arg-type]
