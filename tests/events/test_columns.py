"""The ETL's input contract comes from the lake record's definition and reads what ingest writes."""

from __future__ import annotations

import gzip
import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import msgspec

from clickstream.etl.transform import contract_columns, contract_json
from clickstream.events.columns import input_contract
from clickstream.events.legacy import STOREFRONT_FIELDS, STOREFRONT_PRODUCT_FIELDS
from clickstream.events.record import LakeRecord, Receipt, SkewWindow, encode_records, enrich
from clickstream.events.schema import Event, Item, Order, Product

WINDOW = SkewWindow(past=timedelta(days=1), future=timedelta(minutes=5))
NOW = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)
RECEIPT = Receipt(
    received_at=NOW,
    request_id="r1",
    node_id="n1",
    client_ip="203.0.113.7",
    user_agent="ua",
    user_id="u1",
    identity_source="https://shop.test",
    country="NL",
    region="NL-NH",
)
# Every field of the event set, nested ones included.
FULL_EVENT = msgspec.convert(
    {
        "event_name": "purchase",
        "event_id": str(uuid.uuid4()),
        "event_timestamp": "2026-11-25T14:59:00Z",
        "client_id": "c1",
        "session_id": "s1",
        "is_first_visit": False,
        "page_url": "https://shop.test/checkout",
        "referrer": "https://search.test/",
        "product": {f: "1" if f != "quantity" else 1 for f in Product.__struct_fields__}
        | {"price": 1.5, "discount_price": 1.0},
        "order": {"id": "o1", "number": "N1", "total": 5.5, "currency": "EUR", "item_count": 2},
        "properties": {"a": [1, {"b": None}]},
        "site_id": "shop",
        "items": [
            {f: "1" for f in Item.__struct_fields__}
            | {"price": 2.5, "discount_price": 2.0, "quantity": 2}
        ],
    },
    Event,
)


def _names(struct: type[msgspec.Struct]) -> set[str]:
    return {field.encode_name for field in msgspec.structs.fields(struct)}


def test_contract_lists_every_lake_record_field_and_each_storefront_name_beside_its_field() -> None:
    contract = input_contract(text="T", json="J")

    assert set(contract) == _names(LakeRecord) | set(STOREFRONT_FIELDS)
    for legacy, canonical in STOREFRONT_FIELDS.items():
        assert contract[legacy] == contract[canonical]
    assert set(contract["product"]) == _names(Product) | set(STOREFRONT_PRODUCT_FIELDS)
    assert set(contract["order"]) == _names(Order)
    assert contract["properties"] == "J"
    assert contract["items"] == "J"
    nested = {"product", "order", "properties", "items"}
    assert {contract[name] for name in _names(LakeRecord) - nested} == {"T"}


def test_every_line_the_ingest_writes_is_exactly_a_lake_record() -> None:
    events = [FULL_EVENT, Event(event_name="page_view")]

    _, lines = encode_records(events, RECEIPT, WINDOW)

    # LakeRecord forbids unknown fields: a field the server adds but the record does not
    # declare (and so the contract does not read) fails here.
    records = [msgspec.json.decode(line, type=LakeRecord) for line in lines.splitlines()]
    assert [r.event_name for r in records] == ["purchase", "page_view"]
    assert set(enrich(FULL_EVENT, RECEIPT, WINDOW)) == _names(LakeRecord)


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and prefix not in ("properties",):
        out: dict[str, Any] = {}
        for key, inner in value.items():
            out.update(_flat(inner, f"{prefix}.{key}" if prefix else key))
        return out
    return {prefix: value}


def test_duckdb_reads_every_field_of_a_written_line_through_the_contract(tmp_path: Path) -> None:
    _, lines = encode_records([FULL_EVENT], RECEIPT, WINDOW)
    path = tmp_path / "events.ndjson.gz"
    path.write_bytes(gzip.compress(lines))
    written = _flat(json.loads(lines))
    con = duckdb.connect()

    by_line = con.execute(
        "SELECT to_json(json_transform(?, ?))::VARCHAR", (lines.decode().strip(), contract_json())
    ).fetchall()[0][0]
    direct = con.execute(
        f"SELECT to_json(j)::VARCHAR FROM read_ndjson('{path}', columns = {contract_columns()}, "
        "compression = 'gzip') AS j"
    ).fetchall()[0][0]

    for read in (json.loads(by_line), json.loads(direct)):
        values = _flat(read)
        # Each written field arrives, as text; only the storefront's names stay empty.
        assert {k for k, v in values.items() if v is None} == {
            *STOREFRONT_FIELDS,
            *(f"product.{name}" for name in STOREFRONT_PRODUCT_FIELDS),
        }
        for key, value in written.items():
            expected = value if isinstance(value, str | dict | list) else json.dumps(value)
            assert values[key] == expected, key


def test_a_storefront_lake_line_is_read_under_its_camel_case_names() -> None:
    line = {legacy: "x" for legacy in STOREFRONT_FIELDS} | {
        "product": {legacy: "y" for legacy in STOREFRONT_PRODUCT_FIELDS}
    }
    con = duckdb.connect()

    read = con.execute(
        "SELECT to_json(json_transform(?, ?))::VARCHAR", (json.dumps(line), contract_json())
    ).fetchall()[0][0]

    values = _flat(json.loads(read))
    assert {k for k, v in values.items() if v is not None} == set(_flat(line))
