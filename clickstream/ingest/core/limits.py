"""The size and shape limits every request is held to, and the checks that enforce them."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from clickstream.ingest.core.errors import MalformedBody, PayloadTooLarge

if TYPE_CHECKING:  # the settings (pydantic) stay off the import path of a Lambda cold start
    from clickstream.ingest.configuration import IngestSettings


def _default(name: str) -> Any:
    """A factory for the default of ingest setting `name`, read when a `Limits` is built."""

    def read() -> Any:
        from clickstream.ingest.configuration import default_of

        return default_of(name)

    return field(default_factory=read)


@dataclass(frozen=True)
class Limits:
    """Configured limits; the defaults are those of the `CLICKSTREAM_INGEST_MAX_*` settings."""

    max_body_bytes: int = _default("ingest_max_body_bytes")
    max_batch_events: int = _default("ingest_max_batch_events")
    max_event_bytes: int = _default("ingest_max_event_bytes")
    max_json_depth: int = _default("ingest_max_json_depth")
    max_property_keys: int = _default("ingest_max_property_keys")
    max_event_items: int = _default("ingest_max_event_items")

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> Limits:
        """The limits `settings` configure."""
        return cls(
            max_body_bytes=settings.ingest_max_body_bytes,
            max_batch_events=settings.ingest_max_batch_events,
            max_event_bytes=settings.ingest_max_event_bytes,
            max_json_depth=settings.ingest_max_json_depth,
            max_property_keys=settings.ingest_max_property_keys,
            max_event_items=settings.ingest_max_event_items,
        )


def too_large(limit: int) -> PayloadTooLarge:
    """The refusal for a body over `limit` bytes."""
    return PayloadTooLarge(f"the body is larger than {limit} bytes")


def gunzip(data: bytes, limit: int) -> bytes:
    """Decompress a gzip body, stopping as soon as the output would pass `limit` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error:
        raise MalformedBody("the body is not valid gzip") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise too_large(limit)
    if not inflater.eof or inflater.unused_data:
        raise MalformedBody("the body is not one complete gzip stream")
    return out


def depth_and_keys(value: Any) -> tuple[int, int]:
    """Nesting depth of `value` (a scalar is 0) and how many object keys it holds in all."""
    deepest = 0
    keys = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            keys += len(item)
            children = item.values()
        elif isinstance(item, list):
            children = item  # type: ignore[assignment]
        else:
            continue
        deepest = max(deepest, depth)
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return deepest, keys
