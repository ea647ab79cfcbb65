"""The transform SQL maps exactly what `events/` declares: names, states, aliases, fields.

`transform.sql` keeps its legacy mappings as literal SQL (readable in place); these tests parse
it and fail on any difference with `events/legacy.py` and the generated input contract, so
neither side can change without the other.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from clickstream.etl.run import run_etl
from clickstream.etl.transform import CONTRACT, SQL_PACKAGE
from clickstream.events.legacy import (
    LEGACY_EVENT_NAMES,
    STOREFRONT_FIELDS,
    STOREFRONT_LOGIN_STATES,
    STOREFRONT_PRODUCT_FIELDS,
)
from clickstream.lake import open_lake
from clickstream.sqlfiles import script
from tests.etl.lakefiles import HOUR, put, record

ARM = re.compile(r"WHEN '([^']*)' THEN '([^']*)'")
COALESCE = re.compile(r"coalesce\((\w+(?:\.\w+)?), (\w+(?:\.\w+)?)\)")
# Names the SQL reads nested fields under (`"order"` is quoted: ORDER is a keyword).
NESTED = re.compile(r'("?\w+"?)\.(\w+)')


def _typed_view() -> str:
    text = script(SQL_PACKAGE, "transform.sql")
    start = text.index("CREATE OR REPLACE TEMP VIEW typed AS")
    return text[start : text.index("FROM lake_records;", start)]


def _case_arms(view: str, subject: str) -> dict[str, str]:
    """The `WHEN 'x' THEN 'y'` arms of the CASE on `subject` in the typed view."""
    start = view.index(f"CASE {subject}")
    return dict(ARM.findall(view[start : view.index("END", start)]))


def test_legacy_event_names_in_the_sql_are_those_of_events_legacy() -> None:
    arms = _case_arms(_typed_view(), "coalesce(event_name, eventName)")

    assert arms == LEGACY_EVENT_NAMES


def test_legacy_login_states_in_the_sql_are_those_of_events_legacy() -> None:
    arms = _case_arms(_typed_view(), "lower(coalesce(user_login_state, userLoginState))")

    assert arms == STOREFRONT_LOGIN_STATES


def test_every_storefront_name_is_coalesced_with_its_field_and_no_other() -> None:
    pairs = set(COALESCE.findall(_typed_view()))

    expected = {(canonical, legacy) for legacy, canonical in STOREFRONT_FIELDS.items()} | {
        (f"product.{canonical}", f"product.{legacy}")
        for legacy, canonical in STOREFRONT_PRODUCT_FIELDS.items()
    }
    assert pairs == expected


def test_every_field_of_the_contract_is_read_by_the_typed_view() -> None:
    view = _typed_view()
    words = set(re.findall(r"\w+", view))
    nested = {(outer.strip('"'), inner) for outer, inner in NESTED.findall(view)}

    unread = [
        name for name, kind in CONTRACT.items() if isinstance(kind, str) and name not in words
    ] + [
        f"{outer}.{inner}"
        for outer, kind in CONTRACT.items()
        if isinstance(kind, dict)
        for inner in kind
        if (outer, inner) not in nested
    ]
    assert unread == []


@pytest.mark.parametrize("read", ["direct", "by_lines"])
def test_a_storefront_lake_record_loads_under_its_canonical_names(
    read: str, lake_dir: Path, warehouse_url: str
) -> None:
    line = record("checkout_complete")
    for canonical in STOREFRONT_FIELDS.values():
        del line[canonical]
    line |= {
        "eventName": "checkout_complete",
        "clientId": "c-9",
        "sessionId": "s-9",
        "isFirstVisit": True,
        "userId": "u-9",
        "userLoginState": "anonymous",
        "pageUrl": "https://shop.example/cart",
        "product": {"id": "p-1", "price": "10", "discountPrice": "9.50", "urlPath": "/p/1"},
    }
    # One unparseable line makes the batch go line by line instead of being read directly.
    lines: list[object] = [line, "{not json"] if read == "by_lines" else [line]
    lake = open_lake(str(lake_dir))
    put(lake, HOUR, lines)

    result = run_etl(warehouse_url, lake)

    assert (result.loaded, result.rejected) == (1, len(lines) - 1)
    with psycopg.connect(warehouse_url) as conn:
        row = conn.execute(
            "SELECT event_name, client_id, session_id, is_first_visit, user_id, "
            "user_login_state, page_url, context_product_price, context_product_discount_price, "
            "context_product_url_path FROM clickstream_events"
        ).fetchone()
    assert row == (
        "purchase",
        "c-9",
        "s-9",
        True,
        "u-9",
        "guest",
        "https://shop.example/cart",
        Decimal("10.00"),
        Decimal("9.50"),
        "/p/1",
    )
