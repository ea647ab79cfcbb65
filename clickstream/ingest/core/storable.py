"""What the warehouse cannot hold is refused at the door, so every acknowledged event loads.

Two kinds of input would pass the event schema and still fail later: a client time whose
conversion to UTC leaves the calendar (`9999-12-31T23:59:59-05:00`), and a NUL character (or the
text `\\u0000`, which the ETL cannot tell from one) in any string. Both are found only after a
cheap test says they may be there, so ordinary batches pay nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec

from clickstream import utc
from clickstream.events.schema import Event
from clickstream.ingest.core.errors import InvalidPayload

_NUL_TEXT = ("\x00", "\\u0000")
_MAX_ERRORS = 20


def _refusal(problems: list[dict[str, Any]]) -> InvalidPayload:
    first = problems[0]
    where = f"event {first['index']}" + (f", field `{first['field']}`" if first["field"] else "")
    return InvalidPayload(f"{where}: {first['message']}", errors=problems[:_MAX_ERRORS])


def out_of_range_times(events: list[Event]) -> InvalidPayload:
    """The refusal naming each event whose `event_timestamp` has no UTC equivalent."""
    problems = []
    for index, event in enumerate(events):
        if event.event_timestamp is None:
            continue
        try:
            utc.as_utc(event.event_timestamp)
        except OverflowError:
            message = "the time is out of range once converted to UTC (years 1 to 9999)"
            problems.append({"index": index, "field": "event_timestamp", "message": message})
    if not problems:
        problems.append({"index": 0, "field": "event_timestamp", "message": "out of range"})
    return _refusal(problems)


def may_hold_nul(lines: bytes) -> bool:
    """Whether encoded lake lines may carry a NUL character (a fast test, false positives ok)."""
    return b"\\u0000" in lines or b"\x00" in lines


def _has_nul(text: str) -> bool:
    return any(mark in text for mark in _NUL_TEXT)


def _nul_paths(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if _has_nul(value) else []
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{path}.{key}" if path else str(key)
            if _has_nul(str(key)):
                found.append(path or "(key)")
                continue
            found += _nul_paths(item, inner)
    elif isinstance(value, list):
        for number, item in enumerate(value):
            found += _nul_paths(item, f"{path}[{number}]")
    return found


def check_no_nul(events: list[Event], user_agent: str | None) -> None:
    """Raise `InvalidPayload` naming each event and field whose text holds a NUL character."""
    problems = []
    for index, event in enumerate(events):
        for path in _nul_paths(msgspec.to_builtins(event), ""):
            message = "contains a NUL character (U+0000), which cannot be stored"
            problems.append({"index": index, "field": path, "message": message})
    if problems:
        raise _refusal(problems)
    if user_agent is not None and _has_nul(user_agent):
        raise InvalidPayload("the User-Agent header contains a NUL character (U+0000)")
