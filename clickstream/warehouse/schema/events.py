"""The events: `clickstream_events` (partitioned by day), their item lines, the id registry,
the column lists the ETL loads them by, and the daily partitions' names."""

from __future__ import annotations

from datetime import date
from typing import Final

from clickstream.warehouse.schema.model import table

# Where an event came from (0081): the ingest's country lookup, the referrer's host, the UTM
# parameters and ad click id of the page URL, and the source, medium and channel the ETL's
# channel rules give them.
ACQUISITION_EVENT_COLUMNS: Final = (
    "country text",
    "region text",
    "referrer_host text",
    "utm_source text",
    "utm_medium text",
    "utm_campaign text",
    "utm_term text",
    "utm_content text",
    "click_id_name text",
    "click_id text",
    "traffic_source text",
    "traffic_medium text",
    "channel text",
)

# Raw events, range-partitioned by day on event_timestamp (no primary key: `event_ids` keeps
# each id once, whatever partition its timestamp puts it in). The original design's 16
# columns come first, under their original names; the column order is the load order.
CLICKSTREAM_EVENTS: Final = table(
    "clickstream_events",
    "event_id uuid not null",
    "event_timestamp timestamptz not null",
    "event_name text not null",
    "user_id text",
    "user_login_state text",
    "identity_source text",
    "client_id text",
    "session_id text",
    "is_first_visit boolean",
    "context_product_id text",
    "context_product_name text",
    "context_product_category text",
    "context_product_brand text",
    "context_product_price numeric(14,2)",
    "context_product_discount_price numeric(14,2)",
    "context_product_url_path text",
    "page_url text",
    "referrer text",
    "received_at timestamptz not null",
    "client_timestamp timestamptz",
    "context_product_quantity integer",
    "order_id text",
    "order_number text",
    "order_total numeric(14,2)",
    "order_currency text",
    "order_item_count integer",
    "user_agent text",
    "client_ip text",
    "device_type text",
    "browser text",
    "os text",
    "is_bot boolean not null",
    "properties jsonb",
    "request_id text",
    "ingest_node text",
    "source_file text not null",
    "etl_run_id bigint",
    *ACQUISITION_EVENT_COLUMNS,
    "site_id text not null",
)
# One row per line of an event's `items`, partitioned by day on event_timestamp like the
# events (migration 0080).
EVENT_ITEMS: Final = table(
    "event_items",
    "event_id uuid not null",
    "event_timestamp timestamptz not null",
    "event_name text not null",
    "order_id text",
    "line integer not null",
    "item_id text not null",
    "name text",
    "category text",
    "brand text",
    "variant text",
    "price numeric(14,2)",
    "discount_price numeric(14,2)",
    "quantity integer",
)
# The id registry: each stored event_id once, with the hash of its client-made payload.
EVENT_IDS: Final = table(
    "event_ids",
    "event_id uuid not null",
    "event_timestamp timestamptz not null",
    "source_file text not null",
    "payload_hash uuid",
    key=("event_id",),
)

# `clickstream_events` in load order.
EVENT_COLUMNS: Final = CLICKSTREAM_EVENTS.column_names
# `event_ids` in the order the ETL registers ids.
ID_COLUMNS: Final = EVENT_IDS.column_names
# `event_items` in load order.
ITEM_COLUMNS: Final = EVENT_ITEMS.column_names

# --- Partitions -----------------------------------------------------------------------------

PARTITIONED_TABLE: Final = CLICKSTREAM_EVENTS.name
DEFAULT_PARTITION: Final = f"{PARTITIONED_TABLE}_default"


def partition_name(day: date) -> str:
    """`clickstream_events_YYYYMMDD`, `day`'s partition; built from a date, never from input."""
    return f"{PARTITIONED_TABLE}_{day:%Y%m%d}"


def is_daily_partition(name: str) -> bool:
    """Whether `name` is a daily partition's name (the default partition is not)."""
    prefix = PARTITIONED_TABLE + "_"
    suffix = name[len(prefix) :]
    return name.startswith(prefix) and len(suffix) == 8 and suffix.isdigit()
