"""The derived tables, rebuilt per day by the ETL (columns in the order derive.sql writes
them), and the event columns the derive reads.

Every derived row belongs to one site: `site_id` (0094) is each table's last column and the
second of its primary key, after `day`.
"""

from __future__ import annotations

from typing import Final

from clickstream.warehouse.schema.behaviour import BEHAVIOUR_DERIVED
from clickstream.warehouse.schema.model import table

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
    "site_id text not null",
    key=("day", "site_id", "session_id"),
)
VISITOR_DAILY: Final = table(
    "visitor_daily",
    "day date not null",
    "client_id text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "sessions integer not null",
    "events integer not null",
    "site_id text not null",
    key=("day", "site_id", "login_state", "is_bot", "client_id"),
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
    "site_id text not null",
    key=("day", "site_id", "login_state", "is_bot"),
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
    "site_id text not null",
    key=("day", "site_id", "login_state", "is_bot"),
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
    "site_id text not null",
    key=("day", "site_id", "login_state", "is_bot", "product_id"),
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
    "site_id text not null",
    key=("day", "site_id", "login_state", "is_bot", "page"),
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
    "site_id text not null",
    key=(
        "day",
        "site_id",
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
    "site_id text not null",
    key=("day", "site_id", "login_state", "is_bot", "goal"),
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
    "site_id text not null",
    key=("day", "site_id", "login_state", "is_bot", "event_name"),
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
    "site_id text not null",
    key=("day", "site_id", "event_name", "property", "login_state", "is_bot", "value"),
)
# Per session, each distinct step key (an event name, a page_view's path, a goal) with the
# first time the session did it (0096): what custom funnels walk. Keyed by the step first and
# the session as its number within the day (0098), so a funnel joins its steps' rows in order.
SESSION_STEPS: Final = table(
    "session_steps",
    "day date not null",
    "site_id text not null",
    "step_kind text not null",
    "step_value text not null",
    "session_no integer not null",
    "client_id text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "first_at timestamptz not null",
    key=("step_kind", "step_value", "day", "session_no"),
)
# Saved session-window funnels per day, definition and step (0100): filled after the days'
# session_steps by `warehouse/funnel_days.py`, not by derive.sql, so not in DERIVED.
FUNNEL_DAYS: Final = table(
    "funnel_days",
    "definition text not null",
    "day date not null",
    "site_id text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "step integer not null",
    "entrants bigint not null",
    "gaps double precision[] not null",
    key=("definition", "day", "site_id", "login_state", "is_bot", "step"),
)
# The days of each definition `funnel_days` holds computed (0100).
FUNNEL_DAYS_COVERED: Final = table(
    "funnel_days_covered",
    "definition text not null",
    "day date not null",
    key=("definition", "day"),
)
FUNNEL_ROLL_UP: Final = (FUNNEL_DAYS, FUNNEL_DAYS_COVERED)
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
    SESSION_STEPS,
    *BEHAVIOUR_DERIVED,
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
    "site_id",
)
# Each derived table's columns and primary key, by table name.
DERIVED_TABLES: Final = {t.name: t.column_names for t in DERIVED}
PRIMARY_KEYS: Final = {t.name: t.primary_key for t in DERIVED}
