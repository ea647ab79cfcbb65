"""Property-based fuzzing of POST /clickstream: never a 5xx, and every 2xx is in the lake and,
after an ETL run, in `clickstream_events` (whatever the ingest acknowledges, the ETL loads)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import psycopg
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from tests.conftest import lake_records
from tests.ingest.conftest import running_ingest

names = st.one_of(
    st.sampled_from(["page_view", "purchase", "add_to_cart_click", "checkout_complete"]),
    st.from_regex(r"[a-z][a-z0-9_]{0,70}", fullmatch=True),
    st.text(max_size=10),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
canonical = st.fixed_dictionaries(
    {"event_name": names},
    optional={
        "event_id": st.one_of(st.uuids().map(str), st.text(max_size=40)),
        "event_timestamp": st.one_of(
            st.datetimes().map(lambda d: d.isoformat() + "Z"),
            st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
            st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]),
            st.text(max_size=30),
        ),
        "client_id": st.one_of(st.text(max_size=40), st.integers()),
        "session_id": st.text(max_size=300),
        "is_first_visit": st.one_of(st.booleans(), st.text(max_size=3)),
        "page_url": st.one_of(st.text(max_size=60), st.sampled_from(["/a\u0000b", "/a\\u0000"])),
        "product": st.one_of(
            st.fixed_dictionaries(
                {},
                optional={
                    "id": st.text(max_size=10),
                    "price": st.one_of(st.floats(allow_nan=False), st.text(max_size=5)),
                    "quantity": st.integers(),
                },
            ),
            json_values,
        ),
        "order": st.fixed_dictionaries(
            {}, optional={"currency": st.text(max_size=4), "total": st.floats(allow_nan=False)}
        ),
        "properties": json_values,
    },
)
legacy = st.fixed_dictionaries(
    {"eventName": names},
    optional={
        "pageUrl": st.text(max_size=40),
        "userId": st.text(max_size=10),
        "product": st.dictionaries(
            st.sampled_from(["id", "price", "discountPrice", "urlPath"]), scalars, max_size=4
        ),
        "element": st.fixed_dictionaries(
            {},
            optional={
                "tag": st.text(max_size=5),
                "dataset": st.dictionaries(
                    st.sampled_from(["orderId", "total", "itemCount", "cartId", "x"]),
                    scalars,
                    max_size=4,
                ),
            },
        ),
    },
)
one_event = st.one_of(canonical, legacy, json_values)
bodies = st.one_of(
    one_event.map(lambda e: json.dumps(e).encode()),
    st.lists(one_event, max_size=5).map(lambda e: json.dumps(e).encode()),
    st.lists(one_event, max_size=5).map(lambda e: json.dumps({"events": e}).encode()),
    st.binary(max_size=200),
)


def test_fuzzed_bodies_never_cause_5xx_and_every_2xx_is_loaded_by_the_etl(
    tmp_path: Path, warehouse_url: str
) -> None:
    acknowledged: list[str] = []

    with running_ingest(tmp_path) as ingest:

        @settings(
            max_examples=100,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(body=bodies)
        @example(body=json.dumps({"event_name": "page_view", "page_url": "/a\u0000b"}).encode())
        @example(body=json.dumps([{"event_name": "x", "properties": {"k\u0000": 1}}]).encode())
        @example(body=json.dumps({"eventName": "x", "pageUrl": "/b\\u0000"}).encode())
        @example(
            body=json.dumps(
                {"event_name": "page_view", "event_timestamp": "9999-12-31T23:59:59-05:00"}
            ).encode()
        )
        def check(body: bytes) -> None:
            response = httpx.post(
                ingest.url, content=body, headers={"content-type": "application/json"}
            )
            assert response.status_code < 500, response.text
            payload: dict[str, Any] = response.json()
            if response.status_code == 202:
                assert payload["accepted"] == len(payload["event_ids"]) >= 1
                acknowledged.extend(payload["event_ids"])
            else:
                assert response.status_code in (400, 413), response.text
                assert payload["error"] and payload["detail"]

        check()

    records = lake_records(tmp_path / "lake")
    assert acknowledged, "the fuzzer should produce some valid batches"
    assert sorted(r["event_id"] for r in records) == sorted(acknowledged)

    result = run_etl(warehouse_url, open_lake(str(tmp_path / "lake")))
    assert result.status == "succeeded", result.error
    assert result.rejected == 0, result.rejected_by_reason  # nothing acknowledged is quarantined
    with psycopg.connect(warehouse_url) as conn:
        loaded = {str(row[0]) for row in conn.execute("SELECT event_id FROM clickstream_events")}
    assert loaded == set(acknowledged)
