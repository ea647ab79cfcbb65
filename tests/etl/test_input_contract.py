"""The transform SQL maps exactly what `events/` declares: names, states, aliases, fields.

`transform.sql` keeps its legacy mappings as literal SQL (readable in place); these tests parse
it and fail on any difference with `events/legacy.py` and the generated input contract, so
neither side can change without the other.
"""

from __future__ import annotations

import re

from clickstream.etl.transform import CONTRACT, SQL_PACKAGE
from clickstream.events.legacy import (
    LEGACY_EVENT_NAMES,
    STOREFRONT_FIELDS,
    STOREFRONT_LOGIN_STATES,
    STOREFRONT_PRODUCT_FIELDS,
)
from clickstream.sqlfiles import script

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
