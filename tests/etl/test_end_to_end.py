"""POST over real HTTP, run the ETL, read the rows back from a real PostgreSQL."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from pathlib import Path

import httpx
import psycopg

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from tests.conftest import ServerThread, wait_for_lake


def _post(server: ServerThread, body: object) -> list[str]:
    response = httpx.post(f"{server.url}/clickstream", json=body)
    assert response.status_code == 202, response.text
    return list(response.json()["event_ids"])


def test_posted_events_land_in_the_warehouse_with_their_values(
    ingest_server: ServerThread, lake_dir: Path, warehouse_url: str
) -> None:
    [view_id] = _post(
        ingest_server,
        {
            "event_name": "product_view",
            "client_id": "client-1",
            "session_id": "s-1",
            "is_first_visit": True,
            "page_url": "https://shop.example/p/42",
            "product": {
                "id": "42",
                "name": "Teapot",
                "category": "Kitchen",
                "brand": "Acme",
                "price": 19.99,
                "discount_price": 14.5,
                "url_path": "/p/42",
            },
            "properties": {"colour": "blue"},
        },
    )
    wait_for_lake(lake_dir, [view_id])  # shipped in a file of its own
    purchase_ids = _post(
        ingest_server,
        [
            {"event_name": "page_view", "client_id": "client-2"},
            {
                "event_name": "purchase",
                "client_id": "client-1",
                "order": {"id": "o-9", "total": 29.0},
            },
        ],
    )
    wait_for_lake(lake_dir, purchase_ids)

    result = run_etl(warehouse_url, open_lake(str(lake_dir)))

    assert (result.status, result.files, result.received, result.loaded) == ("succeeded", 2, 3, 3)
    with psycopg.connect(warehouse_url) as conn:
        row = conn.execute(
            "SELECT event_name, client_id, session_id, is_first_visit, context_product_id, "
            "context_product_name, context_product_category, context_product_brand, "
            "context_product_price, context_product_discount_price, context_product_url_path, "
            "user_login_state, properties, page_url, source_file "
            "FROM clickstream_events WHERE event_id = %s",
            (view_id,),
        ).fetchone()
        purchase = conn.execute(
            "SELECT order_id, order_total FROM clickstream_events WHERE event_id = %s",
            (purchase_ids[1],),
        ).fetchone()
        count = conn.execute("SELECT count(*) FROM clickstream_events").fetchone()
        partitions = conn.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'clickstream_events'::regclass"
        ).fetchone()
    assert row is not None
    assert row[:12] == (
        "product_view",
        "client-1",
        "s-1",
        True,
        "42",
        "Teapot",
        "Kitchen",
        "Acme",
        Decimal("19.99"),
        Decimal("14.50"),
        "/p/42",
        "guest",
    )
    assert row[12] == {"colour": "blue"}
    assert row[13] == "https://shop.example/p/42"
    assert row[14].startswith("events/")
    assert purchase == ("o-9", Decimal("29.00"))
    assert count == (3,)
    assert partitions is not None and partitions[0] >= 2  # default + today's daily partition


def test_second_run_loads_nothing(
    ingest_server: ServerThread, lake_dir: Path, warehouse_url: str
) -> None:
    wait_for_lake(
        lake_dir, _post(ingest_server, [{"event_name": "page_view"}, {"event_name": "click"}])
    )
    lake = open_lake(str(lake_dir))
    first = run_etl(warehouse_url, lake)

    second = run_etl(warehouse_url, lake)

    assert first.loaded == 2
    assert (second.files, second.received, second.loaded) == (0, 0, 0)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM clickstream_events").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM lake_manifest").fetchone() == (1,)


def test_repeated_event_id_is_stored_once_and_counted_as_duplicate(
    ingest_server: ServerThread, lake_dir: Path, warehouse_url: str
) -> None:
    event = {"event_name": "page_view", "event_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}
    _post(ingest_server, event)
    _post(ingest_server, [event, event])
    wait_for_lake(lake_dir, [event["event_id"]], lines=3)  # both requests' copies

    result = run_etl(warehouse_url, open_lake(str(lake_dir)))

    assert (result.received, result.loaded, result.duplicates) == (3, 1, 2)
    with psycopg.connect(warehouse_url) as conn:
        assert conn.execute("SELECT count(*) FROM clickstream_events").fetchone() == (1,)


def test_bad_lines_are_quarantined_and_the_ledger_balances(
    lake_dir: Path, warehouse_url: str
) -> None:
    good = {
        "event_id": "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c",
        "event_name": "page_view",
        "event_timestamp": "2026-11-25T10:00:00Z",
        "received_at": "2026-11-25T10:00:01Z",
    }
    lines = [json.dumps(good), "{not json", json.dumps({"event_name": "x"}), '{"event_id": 1']
    key = "events/2026/11/25/10/n-20261125T100001000000Z-000001.ndjson.gz"
    open_lake(str(lake_dir)).put(key, gzip.compress("\n".join(lines).encode()))

    result = run_etl(warehouse_url, open_lake(str(lake_dir)))

    assert result.status == "succeeded"
    assert result.received == result.loaded + result.duplicates + result.rejected
    assert (result.received, result.loaded, result.rejected) == (4, 1, 3)
    with psycopg.connect(warehouse_url) as conn:
        reasons = [
            r[0] for r in conn.execute("SELECT reason FROM etl_quarantine ORDER BY line_number")
        ]
        ledger = conn.execute(
            "SELECT received, loaded, duplicates, rejected FROM etl_runs WHERE run_id = %s",
            (result.run_id,),
        ).fetchone()
    assert reasons == ["unparseable JSON line", "event_id is not a UUID", "unparseable JSON line"]
    assert ledger == (4, 1, 0, 3)


def test_concurrent_run_is_a_no_op(lake_dir: Path, warehouse_url: str) -> None:
    from clickstream.etl.run import ETL_LOCK_KEY

    with psycopg.connect(warehouse_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (ETL_LOCK_KEY,))
        result = run_etl(warehouse_url, open_lake(str(lake_dir)))
    assert (result.status, result.run_id) == ("skipped", None)
