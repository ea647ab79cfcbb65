"""The Spark engine loads a lake exactly as the DuckDB engine does, run after run.

One lake holds what a real one does: events over two days from two ingest nodes, retries
resent in the same and in later files, ids reused with another payload (in one batch, across
batches and across runs), late events, lines that break the contract, the original
storefront's camelCase payloads, item lists (valid, canonicalised and broken in each way),
landings (UTM tags, ad click ids, outside and own-site referrers) under the shipped channel
rules and then a user's own, a few user agents, and a user erased from the lake before the
load. Each engine
loads it into its own warehouse; every table of `warehouse/schema/` must then hold the same
rows in both (`EXCEPT ALL` both ways), ledgers included.
"""

from __future__ import annotations

import gzip
import json
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql

from clickstream.etl.run import EtlOptions, RunResult, run_etl
from clickstream.lake import open_lake
from clickstream.lake.store import LakeStore
from clickstream.ops.erasure import erase_subject
from clickstream.warehouse import schema
from clickstream.warehouse.migrate import migrate
from tests.conftest import scratch_database
from tests.etl.lakefiles import HOUR, put, record
from tests.etl.spark.conftest import compared_columns

# Small batches, so that the DuckDB engine decides repeats batch by batch.
DUCKDB = EtlOptions(batch_files=2, engine="duckdb")
SPARK = EtlOptions(batch_files=2, engine="spark")
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"
AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/16.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0",
    "Mozilla/5.0 (Linux; Android 13; SM-X200) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Safari/537.36",
    "python-requests/2.31",
    "",
)
# Where visits land from: UTM tags, ad click ids, outside, own-site and no referrers.
LANDINGS = (
    ("https://shop.example/?utm_source=Newsletter&utm_medium=email&utm_campaign=winter+sale", None),
    ("https://shop.example/p/1?gclid=Cj0abc&utm_term=hats", "https://www.google.com/"),
    ("https://shop.example/?fbclid=IwAR1", "https://m.facebook.com/"),
    ("https://shop.example/?utm_source=google&utm_medium=cpc&utm_content=b%20anner", None),
    ("https://shop.example/blog", "https://news.ycombinator.com/item?id=1"),
    ("https://shop.example/cart", "https://shop.example/p/1"),
    ("https://shop.example/?utm_source=partner", "https://partner.example/deals"),
)
ITEMS = [
    {"id": "p1", "name": "Hat", "category": "hats", "price": 12.5, "quantity": 2},
    {"id": "p2", "variant": "red", "price": "3.10", "discountPrice": "2.5", "quantity": "1"},
]
# Item lists the ETL rejects, one per reason (a JSON string that looks like a list is none).
BAD_ITEMS = (
    {"id": "p1"},
    [{"name": "no id"}],
    [{"id": "p1", "price": "abc"}],
    [{"id": "p1", "discount_price": "1e99"}],
    [{"id": "p1", "quantity": 1.5}],
    json.dumps([{"id": "p1"}]),
)
# A user's own channel rules (CLICKSTREAM_ETL_CHANNEL_RULES), used by the second runs.
USER_RULES = r"""
fallback = "Elsewhere"

[[rules]]
channel = "Mailing"
source = "newsletter"

[[rules]]
channel = "Search engines"
referrer_host = '.*(google|bing)\..*'

[[rules]]
channel = "Direct"
source = '\(direct\)'
"""
ERASED = "user-to-forget"


def storefront(name: str, at: Any, **fields: Any) -> dict[str, Any]:
    """A lake line of the original storefront: camelCase names and its own event names."""
    line = {
        "event_id": str(uuid.uuid4()),
        "eventName": name,
        "event_timestamp": at.isoformat(),
        "received_at": (at + timedelta(seconds=2)).isoformat(),
        "clientId": "legacy-c",
        "sessionId": "legacy-s",
        "isFirstVisit": True,
        "userLoginState": "anonymous",
        "pageUrl": "https://old.shop.example/cart?x=1",
        "product": {"id": "p9", "name": "Mug", "discountPrice": "7.5", "urlPath": "/p/mug"},
        "request_id": "legacy-r",
        "node_id": "legacy",
    }
    line.update(fields)
    return line


def first_lake(lake: LakeStore) -> dict[str, dict[str, Any]]:
    """The first run's files; returns events the second run resends or contradicts."""
    day2 = HOUR + timedelta(days=1)
    kept = record("product_view", HOUR, product={"id": "p1", "price": 12.5}, request_id="r-a")
    retry = {**kept, "received_at": (HOUR + timedelta(seconds=9)).isoformat(), "request_id": "r-b"}
    clash = {**kept, "product": {"id": "p1", "price": 99}, "request_id": "r-c"}
    purchase = record(
        "purchase",
        HOUR + timedelta(minutes=5),
        user_id="u-1",
        user_login_state="logged_in",
        order={"id": "o-1", "total": "40.10", "currency": "EUR", "item_count": 2},
        properties={"coupon": "X", "lines": [1, 2.5, {"k": None}]},
        user_agent=IPHONE,
        items=ITEMS,
        country="DE",
        region="BE",
    )
    # Resent with the same lines written otherwise (the canonical form is hashed): a duplicate;
    # resent with other lines: a conflict.
    respelled = [{**ITEMS[0], "price": "12.50", "quantity": 2.0}, ITEMS[1]]
    purchase_again = {**purchase, "items": respelled, "request_id": "r-p2"}
    purchase_other = {**purchase, "items": ITEMS[:1], "request_id": "r-p3"}
    late = record("page_view", HOUR - timedelta(hours=3), session_id="s-late")
    erased = record("page_view", HOUR, user_id=ERASED, client_id="c-erased", session_id="s-e")
    visits = [
        record(
            "page_view",
            HOUR + timedelta(minutes=10 + n),
            session_id=f"s-land-{n}",
            page_url=url,
            referrer=referrer,
            user_agent=AGENTS[n % len(AGENTS)],
            items=[] if n == 0 else None,
        )
        for n, (url, referrer) in enumerate(LANDINGS)
    ]
    broken = [record("add_to_cart", HOUR, items=items) for items in BAD_ITEMS]
    put(
        lake,
        HOUR,
        [kept, retry, purchase, late, erased, "not json", "[1, 2]", *visits, *broken],
        seq=1,
    )
    put(
        lake,
        HOUR,
        [
            clash,  # the same id with another payload, in the same batch: a conflict
            retry,  # a resend: a duplicate
            record("login", HOUR, event_id="not-a-uuid"),
            record("page_view", HOUR, event_timestamp="yesterday"),
            record("add_to_cart", HOUR, product={"id": "p1", "price": "abc"}),
            json.dumps(record("page_view", HOUR))[:-1] + ', "x": "a\\u0000b"}',
            {"event_id": str(uuid.uuid4()), "received_at": HOUR.isoformat()},
            purchase_again,
            purchase_other,
            storefront("add_to_cart_click", HOUR + timedelta(minutes=1)),
            storefront(
                "checkout_complete",
                HOUR + timedelta(minutes=2),
                order={"id": "o-9", "number": "1009", "total": "15"},
            ),
        ],
        seq=2,
        node="n2",
    )
    for seq in range(3, 6):  # later batches: more traffic, one id reused across batches
        hour = day2 + timedelta(hours=seq)
        lines: list[Any] = [
            record(
                "page_view",
                hour,
                session_id=f"s-{seq}",
                client_id=f"c-{seq}",
                page_url=f"https://shop.example/p/{seq}?utm=1",
            ),
            record(
                "product_view",
                hour + timedelta(minutes=1),
                session_id=f"s-{seq}",
                client_id=f"c-{seq}",
                product={
                    "id": f"p{seq}",
                    "name": "Hat",
                    "category": "hats",
                    "brand": "B",
                    "price": "5.25",
                    "quantity": 2,
                },
            ),
            record(
                "begin_checkout",
                hour + timedelta(minutes=2),
                session_id=f"s-{seq}",
                client_id=f"c-{seq}",
                user_agent="curl/8.0",
            ),
        ]
        if seq == 4:
            lines.append({**clash, "event_timestamp": hour.isoformat()})  # a later batch
        if seq == 5:  # no session id: sessions keyed by the client, or by the event itself
            lines += [
                record("page_view", hour + timedelta(minutes=3), session_id=None, client_id=None),
                record("page_view", hour + timedelta(minutes=4), session_id=None, client_id="c-5"),
                record(
                    "add_to_cart", hour + timedelta(minutes=5), session_id=None, client_id="c-5"
                ),
            ]
        put(lake, hour, lines, seq=seq)
    return {"kept": kept, "purchase": purchase}


def second_lake(lake: LakeStore, earlier: dict[str, dict[str, Any]]) -> None:
    """Files that arrive after the first run: resends and reused ids of loaded events."""
    later = HOUR + timedelta(days=1, hours=9)
    put(
        lake,
        later,
        [
            {**earlier["purchase"], "request_id": "r-again"},  # a duplicate of a loaded event
            {**earlier["kept"], "page_url": "https://elsewhere.example/"},  # a conflict
            record("page_view", later, session_id="s-new", client_id="c-new"),
            *(
                record("page_view", later, session_id=f"s-new-{n}", page_url=url, referrer=ref)
                for n, (url, ref) in enumerate(LANDINGS)
            ),
        ],
        seq=9,
    )


def channels(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT DISTINCT channel FROM clickstream_events").fetchall()
    return {row[0] for row in rows}


def torn_object(lake: LakeStore) -> None:
    """A gzip object cut off two thirds in: its whole lines load, its fault is rejected."""
    at = HOUR + timedelta(minutes=30)
    text = "\n".join(json.dumps(record("page_view", at, session_id="s-torn")) for _ in range(30))
    data = gzip.compress((text + "\n").encode())
    key = f"events/{HOUR:%Y/%m/%d/%H}/n3-{HOUR:%Y%m%dT%H%M%S}000000Z-000007.ndjson.gz"
    lake.put(key, data[: len(data) * 2 // 3])


def load(
    url: str, lake_dir: Path, options: EtlOptions, steps: list[str] | None = None
) -> RunResult:
    step = steps.append if steps is not None else None
    return run_etl(url, open_lake(str(lake_dir)), options=options, on_step=step)


def differences(url: str, other_url: str, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """Per table of `warehouse/schema/`, the rows one warehouse holds and the other not
    (leaving out the tables and columns named in `skip`)."""
    found = {}
    with psycopg.connect(url, autocommit=True) as conn, psycopg.connect(other_url) as other:
        for table in schema.TABLES.values():
            if table.name in skip:
                continue
            kept = [c for c in compared_columns(table) if c not in skip]
            columns = sql.SQL(", ").join(sql.Identifier(c) for c in kept)
            query = sql.SQL("SELECT {} FROM {}").format(columns, sql.Identifier(table.name))
            conn.execute(sql.SQL("CREATE TEMP TABLE theirs AS {} LIMIT 0").format(query))
            copy_out = sql.SQL("COPY ({}) TO STDOUT (FORMAT binary)").format(query)
            with (
                other.cursor().copy(copy_out) as source,
                conn.cursor().copy("COPY theirs FROM STDIN (FORMAT binary)") as target,
            ):
                for chunk in source:
                    target.write(chunk)
            ours_only = conn.execute(
                sql.SQL("{} EXCEPT ALL SELECT * FROM theirs").format(query)
            ).fetchall()
            theirs_only = conn.execute(
                sql.SQL("SELECT * FROM theirs EXCEPT ALL {}").format(query)
            ).fetchall()
            conn.execute("DROP TABLE theirs")
            if ours_only or theirs_only:
                found[table.name] = f"duckdb only: {ours_only[:3]} spark only: {theirs_only[:3]}"
    return found


def counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as conn:
        return {
            name: int(
                conn.execute(
                    sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(name))
                ).fetchone()[0]
            )  # type: ignore[index]
            for name in schema.TABLES
        }


@pytest.mark.timeout(400)
@pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True)
def test_spark_loads_the_lake_exactly_as_duckdb_run_after_run(
    spark: Any, pg_admin_url: str, lake_dir: Path, warehouse_url: str, other_warehouse_url: str
) -> None:
    lake = open_lake(str(lake_dir))
    earlier = first_lake(lake)
    with scratch_database(pg_admin_url) as scratch:
        migrate(scratch)
        erasure = erase_subject(scratch, lake, "user_id", ERASED)
    assert erasure.lake_lines_removed == 1
    torn_object(lake)

    duck = load(warehouse_url, lake_dir, DUCKDB)
    steps: list[str] = []
    sparked = load(other_warehouse_url, lake_dir, SPARK, steps)
    assert sparked == duck
    assert "sessions_cut" in steps  # the sessions of the run's (fresh) days are Spark's
    assert any(reason.startswith("corrupt gzip stream") for reason in duck.rejected_by_reason)
    assert duck.loaded and duck.duplicates and duck.conflicts and duck.rejected and duck.late
    assert len(duck.rejected_by_reason) >= 6
    assert {r for r in duck.rejected_by_reason if r.startswith("items")} == {
        "items is not an array of objects",
        "items[].id is missing",
        "items[].price is not a number in range",
        "items[].discount_price is not a number in range",
        "items[].quantity is not a whole number",
    }
    assert counts(warehouse_url)["event_items"] == len(ITEMS)
    assert {"Email", "Paid Search", "Referral", "Direct"} <= channels(warehouse_url)
    assert differences(warehouse_url, other_warehouse_url) == {}

    second_lake(lake, earlier)
    rules = lake_dir.parent / "channels.toml"
    rules.write_text(USER_RULES, encoding="utf-8")
    duck = load(warehouse_url, lake_dir, replace(DUCKDB, channel_rules=rules))
    sparked = load(other_warehouse_url, lake_dir, replace(SPARK, channel_rules=rules))
    assert sparked == duck
    assert (duck.loaded, duck.duplicates, duck.conflicts) == (1 + len(LANDINGS), 1, 1)
    assert {"Mailing", "Search engines", "Elsewhere"} <= channels(other_warehouse_url)
    assert differences(warehouse_url, other_warehouse_url) == {}

    before = counts(other_warehouse_url)
    again = load(other_warehouse_url, lake_dir, SPARK)
    assert (again.files, again.received, again.loaded) == (0, 0, 0)
    after = counts(other_warehouse_url)
    assert after == {**before, "etl_runs": before["etl_runs"] + 1}
