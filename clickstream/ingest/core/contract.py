"""Body bytes to validated canonical events: the three body forms, legacy mapping, limits.

A batch is atomic: every problem found is reported by batch index and field, and a single bad
event refuses the whole batch.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from clickstream.events.legacy import from_legacy, is_legacy
from clickstream.events.schema import Event
from clickstream.ingest.core.errors import (
    BatchTooLarge,
    EventTooLarge,
    InvalidPayload,
    MalformedBody,
)
from clickstream.ingest.core.limits import Limits, depth_and_keys

_MAX_ERRORS = 20
_AT_PATH = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_MISSING = re.compile(r"^Object missing required field `([^`]+)`$")
_DECODE_ERRORS = (msgspec.DecodeError, RecursionError, UnicodeDecodeError)
_decoder = msgspec.json.Decoder()
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])


class _Envelope(msgspec.Struct):
    events: list[msgspec.Raw]


_envelope = msgspec.json.Decoder(_Envelope)


class _KnownFieldsEvent(Event, forbid_unknown_fields=True):
    """An `Event` for the fast path: an unknown field sends the body the slow, general way."""


_one_event = msgspec.json.Decoder(_KnownFieldsEvent)
_event_list = msgspec.json.Decoder(list[_KnownFieldsEvent])


def _malformed(exc: Exception) -> MalformedBody:
    # msgspec before 0.23 let Python raise UnicodeDecodeError; 0.23 reports it as a DecodeError.
    if isinstance(exc, UnicodeDecodeError) or "Invalid UTF-8" in str(exc):
        return MalformedBody("the body is not UTF-8 text")
    if isinstance(exc, RecursionError):
        return MalformedBody("the JSON is nested too deeply")
    return MalformedBody(f"the body is not valid JSON: {exc}")


def _decode(data: bytes | msgspec.Raw) -> Any:
    try:
        return _decoder.decode(data)
    except _DECODE_ERRORS as exc:
        raise _malformed(exc) from None


def split_batch(body: bytes) -> list[tuple[bytes | msgspec.Raw, Any]]:
    """Each event's raw JSON and its decoded value, for the three body forms."""
    text = body.lstrip()
    if not text:
        raise InvalidPayload("the body is empty; send a JSON event object or an array of events")
    if text[:1] == b"[":
        try:
            raws = _raw_list.decode(body)
        except _DECODE_ERRORS as exc:
            raise _malformed(exc) from None
        return [(raw, None) for raw in raws]
    parsed = _decode(body)
    if isinstance(parsed, dict) and "events" in parsed and "event_name" not in parsed:
        if "eventName" in parsed:
            return [(body, parsed)]
        if not isinstance(parsed["events"], list):
            raise InvalidPayload("`events` must be an array of event objects")
        return [(raw, None) for raw in _envelope.decode(body).events]
    return [(body, parsed)]


def _field_error(index: int, exc: msgspec.ValidationError) -> dict[str, Any]:
    match = _AT_PATH.match(str(exc))
    assert match is not None
    path = (match.group("path") or "").lstrip(".")
    message = match.group("message")
    missing = _MISSING.match(message)
    if missing:  # name the missing field itself: `items[1].id`, not `items[1]`
        path = f"{path}.{missing.group(1)}" if path else missing.group(1)
    return {"index": index, "field": path or None, "message": message}


def _check_item(item: Any, index: int, limits: Limits) -> list[dict[str, Any]]:
    if not isinstance(item, dict):
        return [{"index": index, "field": None, "message": "expected a JSON object"}]
    depth, _ = depth_and_keys(item)
    problems = []
    if depth > limits.max_json_depth:
        message = f"nested {depth} deep; at most {limits.max_json_depth} levels are accepted"
        problems.append({"index": index, "field": None, "message": message})
    properties = item.get("properties")
    if isinstance(properties, dict):
        _, keys = depth_and_keys(properties)
        if keys > limits.max_property_keys:
            message = f"{keys} property keys; at most {limits.max_property_keys} are accepted"
            problems.append({"index": index, "field": "properties", "message": message})
    return problems


def _too_many_items(event: Event, index: int, limits: Limits) -> list[dict[str, Any]]:
    if event.items is None or len(event.items) <= limits.max_event_items:
        return []
    message = f"{len(event.items)} items; at most {limits.max_event_items} are accepted"
    return [{"index": index, "field": "items", "message": message}]


def _fast_path(body: bytes, limits: Limits) -> list[Event] | None:
    """Canonical, valid bodies decoded straight into `Event`s; None sends them the slow way.

    Taken only when every check of the slow path can be made here too: the body as a whole
    is within the per-event limit, so no single event can pass it.
    """
    if len(body) > limits.max_event_bytes:
        return None
    try:
        if body[:1] == b"{":
            events: list[Event] = [_one_event.decode(body)]
        elif body[:1] == b"[":
            events = list(_event_list.decode(body))
        else:
            return None
    except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
        return None
    if not events or len(events) > limits.max_batch_events:
        return None
    for event in events:
        if event.properties is not None:
            depth, keys = depth_and_keys(event.properties)
            if depth + 1 > limits.max_json_depth or keys > limits.max_property_keys:
                return None
        if event.items is not None and len(event.items) > limits.max_event_items:
            return None
    return events


def decode_events(body: bytes, limits: Limits | None = None) -> list[Event]:
    """Validated events from an uncompressed body; raises a `Rejected` subclass otherwise."""
    limits = limits or Limits()
    fast = _fast_path(body, limits)
    if fast is not None:
        return fast
    items = split_batch(body)
    if not items:
        raise InvalidPayload("the batch holds no events")
    if len(items) > limits.max_batch_events:
        raise BatchTooLarge(
            f"the batch holds {len(items)} events; at most {limits.max_batch_events} are accepted"
        )
    events: list[Event] = []
    errors: list[dict[str, Any]] = []
    for index, (raw, decoded) in enumerate(items):
        size = len(raw)
        if size > limits.max_event_bytes:
            raise EventTooLarge(
                f"event {index} is {size} bytes; at most {limits.max_event_bytes} are accepted"
            )
        item = decoded if decoded is not None else _decode(raw)
        problems = _check_item(item, index, limits)
        if not problems:
            canonical = from_legacy(item) if is_legacy(item) else item
            try:
                event = msgspec.convert(canonical, Event)
            except msgspec.ValidationError as exc:
                problems.append(_field_error(index, exc))
            else:
                problems += _too_many_items(event, index, limits)
                events.append(event)
        errors.extend(problems)
        if len(errors) >= _MAX_ERRORS:
            break
    if errors:
        first = errors[0]
        where = f"event {first['index']}" + (
            f", field `{first['field']}`" if first["field"] else ""
        )
        raise InvalidPayload(f"{where}: {first['message']}", errors=errors[:_MAX_ERRORS])
    return events
