"""The warehouse as code: every table with its columns (in order), types and primary key.

The migrations (`migrations/*.sql`) make the tables; this module says what they must end up
as, and `tests/warehouse/test_schema.py` migrates a real database and compares the two. The
ETL, ops and dashboards take column lists and keys from here instead of restating them.

A column is written as PostgreSQL's `format_type` names it (`timestamptz` is short for
`timestamp with time zone`), followed by `not null` where it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

_TYPE_ALIASES = {"timestamptz": "timestamp with time zone"}
_NOT_NULL = " not null"


@dataclass(frozen=True)
class Column:
    """One column: its name, its type as `format_type` prints it, and whether it is NOT NULL."""

    name: str
    type: str
    not_null: bool = False

    @classmethod
    def parse(cls, text: str) -> Column:
        """A column from `"name type"` or `"name type not null"`."""
        name, _, rest = text.partition(" ")
        not_null = rest.endswith(_NOT_NULL)
        if not_null:
            rest = rest[: -len(_NOT_NULL)]
        if not name or not rest:
            raise ValueError(f"a column needs a name and a type: {text!r}")
        return cls(name, _TYPE_ALIASES.get(rest, rest), not_null)


@dataclass(frozen=True)
class Table:
    """One table: its name, its columns in order and its primary key (empty when it has none)."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """The names of the columns, in table order."""
        return tuple(column.name for column in self.columns)


def table(name: str, *columns: str, key: tuple[str, ...] = ()) -> Table:
    """A `Table` from column texts (see `Column.parse`); the key must name its columns."""
    parsed = tuple(Column.parse(text) for text in columns)
    unknown = set(key) - {column.name for column in parsed}
    if unknown:
        raise ValueError(f"{name}: the primary key names no column {sorted(unknown)}")
    return Table(name, parsed, key)


# --- Events ---------------------------------------------------------------------------------

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

# --- ETL bookkeeping ------------------------------------------------------------------------

ETL_RUNS: Final = table(
    "etl_runs",
    "run_id bigint not null",
    "trigger text not null",
    "status text not null",
    "started_at timestamptz not null",
    "finished_at timestamptz",
    "files integer not null",
    "received bigint not null",
    "loaded bigint not null",
    "duplicates bigint not null",
    "rejected bigint not null",
    "error text",
    "conflicts bigint not null",
    "late bigint not null",
    "rejected_by_reason jsonb not null",
    "days_derived integer not null",
    key=("run_id",),
)
LAKE_MANIFEST: Final = table(
    "lake_manifest",
    "object_key text not null",
    "size_bytes bigint not null",
    "run_id bigint not null",
    "loaded_at timestamptz not null",
    "received integer not null",
    "loaded integer not null",
    "duplicates integer not null",
    "rejected integer not null",
    "conflicts integer not null",
    "late integer not null",
    key=("object_key",),
)
ETL_QUARANTINE: Final = table(
    "etl_quarantine",
    "quarantine_id bigint not null",
    "run_id bigint not null",
    "source_file text not null",
    "line_number integer not null",
    "reason text not null",
    "raw text not null",
    "quarantined_at timestamptz not null",
    "kind text not null",
    "event_id uuid",
    "kept_version jsonb",
    key=("quarantine_id",),
)
ETL_DIRTY_DAYS: Final = table(
    "etl_dirty_days",
    "day date not null",
    "marked_at timestamptz not null",
    key=("day",),
)
SCHEDULER_STATE: Final = table(
    "scheduler_state",
    "singleton boolean not null",
    "paused boolean not null",
    "reason text",
    "changed_at timestamptz not null",
    key=("singleton",),
)

# --- Derived tables, rebuilt per day by the ETL (columns in the order derive.sql writes) -----

SESSIONS: Final = table(
    "sessions",
    "day date not null",
    "session_id text not null",
    "client_id text",
    "user_id text",
    "started_at timestamptz not null",
    "ended_at timestamptz not null",
    "duration_seconds double precision not null",
    "events integer not null",
    "page_views integer not null",
    "pages integer not null",
    "landing_page text",
    "exit_page text",
    "product_views integer not null",
    "cart_adds integer not null",
    "checkouts integer not null",
    "purchases integer not null",
    "has_purchase boolean not null",
    "revenue numeric(16,2) not null",
    "login_state text not null",
    "is_bounce boolean not null",
    "visitor_type text not null",
    "is_bot boolean not null",
    "device_type text",
    "browser text",
    "os text",
    "referrer text",
    # The session's first event's (0081).
    "country text",
    "region text",
    "referrer_host text",
    "source text",
    "medium text",
    "campaign text",
    "term text",
    "content text",
    "click_id_name text",
    "channel text",
    key=("day", "session_id"),
)
VISITOR_DAILY: Final = table(
    "visitor_daily",
    "day date not null",
    "client_id text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "sessions integer not null",
    "events integer not null",
    key=("day", "login_state", "is_bot", "client_id"),
)
DAILY_KPIS: Final = table(
    "daily_kpis",
    "day date not null",
    "login_state text not null",
    "is_bot boolean not null",
    "sessions integer not null",
    "visitors integer not null",
    "new_sessions integer not null",
    "bounces integer not null",
    "events bigint not null",
    "page_views bigint not null",
    "product_views bigint not null",
    "cart_adds bigint not null",
    "checkouts bigint not null",
    "purchases bigint not null",
    "purchasing_sessions integer not null",
    "revenue numeric(16,2) not null",
    "duration_seconds double precision not null",
    key=("day", "login_state", "is_bot"),
)
FUNNEL_DAILY: Final = table(
    "funnel_daily",
    "day date not null",
    "login_state text not null",
    "is_bot boolean not null",
    "sessions integer not null",
    "reached_page_view integer not null",
    "reached_product_view integer not null",
    "reached_add_to_cart integer not null",
    "reached_begin_checkout integer not null",
    "reached_purchase integer not null",
    key=("day", "login_state", "is_bot"),
)
PRODUCT_DAILY: Final = table(
    "product_daily",
    "day date not null",
    "product_id text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "name text",
    "category text",
    "brand text",
    "views integer not null",
    "cart_adds integer not null",
    "purchases integer not null",
    "units integer not null",
    "revenue numeric(16,2) not null",
    "cart_units integer not null",
    key=("day", "login_state", "is_bot", "product_id"),
)
PAGE_DAILY: Final = table(
    "page_daily",
    "day date not null",
    "page text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "page_views integer not null",
    "sessions integer not null",
    "entrances integer not null",
    "exits integer not null",
    "bounces integer not null",
    key=("day", "login_state", "is_bot", "page"),
)
# Sessions by every acquisition, technology and geography dimension (0081).
TRAFFIC_DAILY: Final = table(
    "traffic_daily",
    "day date not null",
    "login_state text not null",
    "is_bot boolean not null",
    "channel text not null",
    "source text not null",
    "medium text not null",
    "campaign text not null",
    "device_type text not null",
    "browser text not null",
    "os text not null",
    "country text not null",
    "sessions integer not null",
    "new_sessions integer not null",
    "bounces integer not null",
    "purchasing_sessions integer not null",
    "purchases integer not null",
    "revenue numeric(16,2) not null",
    key=(
        "day",
        "login_state",
        "is_bot",
        "channel",
        "source",
        "medium",
        "campaign",
        "device_type",
        "browser",
        "os",
        "country",
    ),
)
# Conversions per goal (0093): sessions with a completion, completions, visitors.
GOAL_DAILY: Final = table(
    "goal_daily",
    "day date not null",
    "goal text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "sessions integer not null",
    "completions integer not null",
    "visitors integer not null",
    key=("day", "login_state", "is_bot", "goal"),
)
# Every event name's events, sessions and visitors (0093).
EVENT_DAILY: Final = table(
    "event_daily",
    "day date not null",
    "event_name text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "events integer not null",
    "sessions integer not null",
    "visitors integer not null",
    key=("day", "login_state", "is_bot", "event_name"),
)
# The top values of each event's property keys, the rest as '(other)' (0093).
EVENT_PROPERTY_DAILY: Final = table(
    "event_property_daily",
    "day date not null",
    "event_name text not null",
    "property text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "value text not null",
    "events integer not null",
    "sessions integer not null",
    key=("day", "event_name", "property", "login_state", "is_bot", "value"),
)
DERIVED: Final = (
    SESSIONS,
    VISITOR_DAILY,
    DAILY_KPIS,
    FUNNEL_DAILY,
    PRODUCT_DAILY,
    PAGE_DAILY,
    TRAFFIC_DAILY,
    GOAL_DAILY,
    EVENT_DAILY,
    EVENT_PROPERTY_DAILY,
)

# --- Operations -----------------------------------------------------------------------------

OPS_INCIDENTS: Final = table(
    "ops_incidents",
    "incident_id bigint not null",
    "alarm text not null",
    "summary text not null",
    "detail jsonb",
    "opened_at timestamptz not null",
    "resolved_at timestamptz",
    key=("incident_id",),
)
OPS_NOTIFICATIONS: Final = table(
    "ops_notifications",
    "notification_id bigint not null",
    "incident_id bigint not null",
    "kind text not null",
    "channel_key text not null",
    "channel_label text not null",
    "status text not null",
    "attempts integer not null",
    "created_at timestamptz not null",
    "next_attempt_at timestamptz not null",
    "last_attempt_at timestamptz",
    "delivered_at timestamptz",
    "last_error text",
    key=("notification_id",),
)
PRIVACY_ERASURES: Final = table(
    "privacy_erasures",
    "erasure_id bigint not null",
    "subject_kind text not null",
    "subject_digest text not null",
    "requested_at timestamptz not null",
    "finished_at timestamptz",
    "events_deleted bigint not null",
    "quarantine_deleted bigint not null",
    "days_rederived integer not null",
    "lake_objects_rewritten integer not null",
    "lake_objects_deleted integer not null",
    "lake_lines_removed bigint not null",
    key=("erasure_id",),
)
# Registered sites: the ingest API reads them (cached) to check `site_id`, write keys and CORS.
SITES: Final = table(
    "sites",
    "site_id text not null",
    "name text not null",
    "origins text[] not null",
    "write_key_sha256 text",
    "created_at timestamptz not null",
    key=("site_id",),
)
# Goal definitions (0093), managed with `clickstream goals` (`warehouse/goals.py`).
GOALS: Final = table(
    "goals",
    "name text not null",
    "event_name text not null",
    "path text",
    "path_match text",
    "property_key text",
    "property_value text",
    "created_at timestamptz not null",
    key=("name",),
)
# --- Dashboard sign-in ----------------------------------------------------------------------

DASHBOARD_USERS: Final = table(
    "dashboard_users",
    "user_id bigint not null",
    "login text not null",
    "role text not null",
    "sites text[]",
    "password_hash text",
    "sessions_since timestamptz not null",
    "created_at timestamptz not null",
    key=("user_id",),
)
DASHBOARD_SIGN_IN_LINKS: Final = table(
    "dashboard_sign_in_links",
    "token_hash text not null",
    "user_id bigint not null",
    "created_at timestamptz not null",
    "expires_at timestamptz not null",
    "used_at timestamptz",
    key=("token_hash",),
)
# Made by `migrate.py` itself, before any migration runs.
SCHEMA_MIGRATIONS: Final = table(
    "schema_migrations",
    "version integer not null",
    "name text not null",
    "checksum text not null",
    "applied_at timestamptz not null",
    key=("version",),
)

TABLES: Final = {
    t.name: t
    for t in (
        CLICKSTREAM_EVENTS,
        EVENT_IDS,
        EVENT_ITEMS,
        ETL_RUNS,
        LAKE_MANIFEST,
        ETL_QUARANTINE,
        ETL_DIRTY_DAYS,
        SCHEDULER_STATE,
        *DERIVED,
        OPS_INCIDENTS,
        OPS_NOTIFICATIONS,
        PRIVACY_ERASURES,
        SCHEMA_MIGRATIONS,
        SITES,
        DASHBOARD_USERS,
        DASHBOARD_SIGN_IN_LINKS,
        GOALS,
    )
}

# --- The column lists the ETL copies by ---------------------------------------------------

# `clickstream_events` in load order.
EVENT_COLUMNS: Final = CLICKSTREAM_EVENTS.column_names
# `event_ids` in the order the ETL registers ids.
ID_COLUMNS: Final = EVENT_IDS.column_names
# What the ETL writes of a quarantined line; the id, the time and the kept version of a
# conflict are filled in by the warehouse.
QUARANTINE_COLUMNS: Final = (
    "run_id",
    "source_file",
    "line_number",
    "reason",
    "raw",
    "kind",
    "event_id",
)
# The columns of `clickstream_events` the derived tables are computed from, in this order
# everywhere the derive reads or writes them.
DERIVE_COLUMNS: Final = (
    "event_id",
    "event_timestamp",
    "event_name",
    "user_id",
    "user_login_state",
    "client_id",
    "session_id",
    "is_first_visit",
    "is_bot",
    "device_type",
    "browser",
    "os",
    "referrer",
    "order_total",
    "page_url",
    "context_product_id",
    "context_product_name",
    "context_product_category",
    "context_product_brand",
    "context_product_price",
    "context_product_discount_price",
    "context_product_quantity",
    "country",
    "region",
    "referrer_host",
    "utm_campaign",
    "utm_term",
    "utm_content",
    "click_id_name",
    "traffic_source",
    "traffic_medium",
    "channel",
    "properties",
)
# `event_items` in load order.
ITEM_COLUMNS: Final = EVENT_ITEMS.column_names
# Each derived table's columns and primary key, by table name.
DERIVED_TABLES: Final = {t.name: t.column_names for t in DERIVED}
PRIMARY_KEYS: Final = {t.name: t.primary_key for t in DERIVED}

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
