"""The Spark engine loads a lake exactly as the DuckDB engine does, run after run.

One lake holds what a real one does: events over two days from two ingest nodes, retries
resent in the same and in later files, ids reused with another payload (in one batch, across
batches and across runs), late events, lines that break the contract, the original
storefront's camelCase payloads and a user erased from the lake before the load. Each engine
loads it into its own warehouse; every table of `warehouse/schema.py` must then hold the same
rows in both (`EXCEPT ALL` both ways), ledgers included.
"""

from __future__ import annotations

import json
import uuid
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
    )
    late = record("page_view", HOUR - timedelta(hours=3), session_id="s-late")
    erased = record("page_view", HOUR, user_id=ERASED, client_id="c-erased", session_id="s-e")
    put(lake, HOUR, [kept, retry, purchase, late, erased, "not json", "[1, 2]"], seq=1)
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
        ],
        seq=9,
    )


def load(url: str, lake_dir: Path, options: EtlOptions) -> RunResult:
    return run_etl(url, open_lake(str(lake_dir)), options=options)


def differences(url: str, other_url: str, skip: frozenset[str] = frozenset()) -> dict[str, str]:
    """Per table of `warehouse/schema.py`, the rows one warehouse holds and the other not
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

    duck = load(warehouse_url, lake_dir, DUCKDB)
    sparked = load(other_warehouse_url, lake_dir, SPARK)
    assert sparked == duck
    assert duck.loaded and duck.duplicates and duck.conflicts and duck.rejected and duck.late
    assert len(duck.rejected_by_reason) >= 6
    assert differences(warehouse_url, other_warehouse_url) == {}

    second_lake(lake, earlier)
    duck = load(warehouse_url, lake_dir, DUCKDB)
    sparked = load(other_warehouse_url, lake_dir, SPARK)
    assert sparked == duck
    assert (duck.loaded, duck.duplicates, duck.conflicts) == (1, 1, 1)
    assert differences(warehouse_url, other_warehouse_url) == {}

    before = counts(other_warehouse_url)
    again = load(other_warehouse_url, lake_dir, SPARK)
    assert (again.files, again.received, again.loaded) == (0, 0, 0)
    after = counts(other_warehouse_url)
    assert after == {**before, "etl_runs": before["etl_runs"] + 1}
