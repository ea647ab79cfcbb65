"""Lake lines to warehouse rows: parse, check the contract, flatten (DESIGN.md §5)."""

from __future__ import annotations

import gzip
import uuid
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from clickstream import jsonio, utc

# Column order of the rows `flatten` produces; `load` copies them in this order.
COLUMNS = (
    "event_id",
    "event_timestamp",
    "event_name",
    "user_id",
    "user_login_state",
    "identity_source",
    "client_id",
    "session_id",
    "is_first_visit",
    "context_product_id",
    "context_product_name",
    "context_product_category",
    "context_product_brand",
    "context_product_price",
    "context_product_discount_price",
    "context_product_url_path",
    "page_url",
    "referrer",
    "received_at",
    "client_timestamp",
    "context_product_quantity",
    "order_id",
    "order_number",
    "order_total",
    "order_currency",
    "order_item_count",
    "user_agent",
    "client_ip",
    "properties",
    "request_id",
    "ingest_node",
    "source_file",
)


class RecordRejected(ValueError):
    """A lake line that cannot become a warehouse row; the message is the reason."""


@dataclass
class Rejection:
    """One line kept out of the warehouse, with where it came from and why."""

    line_number: int
    reason: str
    raw: str


@dataclass
class FileBatch:
    """A lake file turned into rows, plus the lines that were rejected."""

    rows: list[tuple[Any, ...]] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def received(self) -> int:
        """Lines seen in the file (rows plus rejections)."""
        return len(self.rows) + len(self.rejections)


def _timestamp(value: Any, name: str, required: bool) -> datetime | None:
    if value is None:
        if required:
            raise RecordRejected(f"missing {name}")
        return None
    if not isinstance(value, str):
        raise RecordRejected(f"{name} is not a timestamp string")
    try:
        return utc.as_utc(datetime.fromisoformat(value))
    except ValueError:
        raise RecordRejected(f"{name} is not an RFC 3339 timestamp: {value[:64]!r}") from None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else str(value)


def flatten(record: Any, source_file: str) -> tuple[Any, ...]:
    """One enriched lake record as a row in `COLUMNS` order; raises `RecordRejected`."""
    if not isinstance(record, dict):
        raise RecordRejected("line is not a JSON object")
    name = record.get("event_name")
    if not isinstance(name, str) or not name:
        raise RecordRejected("missing event_name")
    try:
        event_id = uuid.UUID(str(record.get("event_id")))
    except ValueError:
        raise RecordRejected("event_id is not a UUID") from None
    product = record.get("product") or {}
    order = record.get("order") or {}
    properties = record.get("properties")
    return (
        event_id,
        _timestamp(record.get("event_timestamp"), "event_timestamp", required=True),
        name,
        _text(record.get("user_id")),
        _text(record.get("user_login_state")),
        _text(record.get("identity_source")),
        _text(record.get("client_id")),
        _text(record.get("session_id")),
        record.get("is_first_visit"),
        _text(product.get("id")),
        _text(product.get("name")),
        _text(product.get("category")),
        _text(product.get("brand")),
        product.get("price"),
        product.get("discount_price"),
        _text(product.get("url_path")),
        _text(record.get("page_url")),
        _text(record.get("referrer")),
        _timestamp(record.get("received_at"), "received_at", required=True),
        _timestamp(record.get("client_timestamp"), "client_timestamp", required=False),
        product.get("quantity"),
        _text(order.get("id")),
        _text(order.get("number")),
        order.get("total"),
        _text(order.get("currency")),
        order.get("item_count"),
        _text(record.get("user_agent")),
        _text(record.get("client_ip")),
        jsonio.dumps(properties).decode() if properties is not None else None,
        _text(record.get("request_id")),
        _text(record.get("node_id")),
        source_file,
    )


def transform_file(data: bytes, source_file: str) -> FileBatch:
    """Every line of a gzip NDJSON lake object as a row or a rejection; never raises on content."""
    batch = FileBatch()
    try:
        text = gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as exc:
        # A torn or corrupt object: keep whatever complete lines can be recovered.
        text = _salvage(data)
        batch.rejections.append(Rejection(0, f"corrupt gzip stream: {exc}", ""))
    for number, line in enumerate(text.split(b"\n"), start=1):
        if not line.strip():
            continue
        try:
            batch.rows.append(flatten(jsonio.loads(line), source_file))
        except jsonio.DecodeError:
            batch.rejections.append(Rejection(number, "unparseable JSON line", _raw(line)))
        except RecordRejected as exc:
            batch.rejections.append(Rejection(number, str(exc), _raw(line)))
    return batch


def _raw(line: bytes) -> str:
    return line[:8192].decode("utf-8", errors="replace")


def _salvage(data: bytes) -> bytes:
    decompressor = zlib.decompressobj(wbits=31)
    try:
        out = decompressor.decompress(data)
    except zlib.error:
        return b""
    # Drop the last, possibly torn, line.
    return out[: out.rfind(b"\n") + 1]
