"""The warehouse as code: every table with its columns (in order), types and primary key.

The migrations (`migrations/*.sql`) make the tables; this package says what they must end up
as, and `tests/warehouse/test_schema.py` migrates a real database and compares the two. The
ETL, ops and dashboards take column lists and keys from here instead of restating them
(`from clickstream.warehouse import schema`, then `schema.CLICKSTREAM_EVENTS`, ...).

One module per responsibility: `model` (how a table is written down), `events` (events, item
lines, the id registry, partitions), `bookkeeping` (the ETL's ledger, manifest, quarantine,
dirty days, scheduler state), `derived` (sessions and roll-ups), `operations` (alarms,
erasures, migrations), `registry` (sites, goals, dashboard accounts, API tokens).
"""

from __future__ import annotations

from typing import Final

from clickstream.warehouse.schema.behaviour import (
    COHORT_TABLES,
    ENTRY_EXIT_DAILY,
    JOURNEY_DAILY,
    RETENTION_DAILY,
    VISITOR_ACTIVITY_DAILY,
    VISITOR_FIRST_SEEN,
)
from clickstream.warehouse.schema.bookkeeping import (
    ETL_DIRTY_DAYS,
    ETL_QUARANTINE,
    ETL_RUNS,
    LAKE_MANIFEST,
    QUARANTINE_COLUMNS,
    SCHEDULER_STATE,
)
from clickstream.warehouse.schema.derived import (
    DAILY_KPIS,
    DERIVE_COLUMNS,
    DERIVED,
    DERIVED_TABLES,
    EVENT_DAILY,
    EVENT_PROPERTY_DAILY,
    FUNNEL_DAILY,
    FUNNEL_DAYS,
    FUNNEL_DAYS_COVERED,
    FUNNEL_ROLL_UP,
    GOAL_DAILY,
    PAGE_DAILY,
    PRIMARY_KEYS,
    PRODUCT_DAILY,
    SESSION_STEPS,
    SESSIONS,
    TRAFFIC_DAILY,
    VISITOR_DAILY,
)
from clickstream.warehouse.schema.events import (
    ACQUISITION_EVENT_COLUMNS,
    CLICKSTREAM_EVENTS,
    DEFAULT_PARTITION,
    EVENT_COLUMNS,
    EVENT_IDS,
    EVENT_ITEMS,
    ID_COLUMNS,
    ITEM_COLUMNS,
    PARTITIONED_TABLE,
    is_daily_partition,
    partition_name,
)
from clickstream.warehouse.schema.model import (
    Column,
    Table,
    table,
)
from clickstream.warehouse.schema.operations import (
    OPS_INCIDENTS,
    OPS_NOTIFICATIONS,
    PRIVACY_ERASURES,
    SCHEMA_MIGRATIONS,
)
from clickstream.warehouse.schema.registry import (
    API_TOKENS,
    DASHBOARD_SIGN_IN_LINKS,
    DASHBOARD_USERS,
    FUNNELS,
    GOALS,
    SITES,
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
        *FUNNEL_ROLL_UP,
        *COHORT_TABLES,
        OPS_INCIDENTS,
        OPS_NOTIFICATIONS,
        PRIVACY_ERASURES,
        SCHEMA_MIGRATIONS,
        SITES,
        DASHBOARD_USERS,
        DASHBOARD_SIGN_IN_LINKS,
        GOALS,
        API_TOKENS,
        FUNNELS,
    )
}

__all__ = [
    "ACQUISITION_EVENT_COLUMNS",
    "API_TOKENS",
    "CLICKSTREAM_EVENTS",
    "COHORT_TABLES",
    "DAILY_KPIS",
    "DASHBOARD_SIGN_IN_LINKS",
    "DASHBOARD_USERS",
    "DEFAULT_PARTITION",
    "DERIVED",
    "DERIVED_TABLES",
    "DERIVE_COLUMNS",
    "ENTRY_EXIT_DAILY",
    "ETL_DIRTY_DAYS",
    "ETL_QUARANTINE",
    "ETL_RUNS",
    "EVENT_COLUMNS",
    "EVENT_DAILY",
    "EVENT_IDS",
    "EVENT_ITEMS",
    "EVENT_PROPERTY_DAILY",
    "FUNNELS",
    "FUNNEL_DAILY",
    "FUNNEL_DAYS",
    "FUNNEL_DAYS_COVERED",
    "FUNNEL_ROLL_UP",
    "GOALS",
    "GOAL_DAILY",
    "ID_COLUMNS",
    "ITEM_COLUMNS",
    "JOURNEY_DAILY",
    "LAKE_MANIFEST",
    "OPS_INCIDENTS",
    "OPS_NOTIFICATIONS",
    "PAGE_DAILY",
    "PARTITIONED_TABLE",
    "PRIMARY_KEYS",
    "PRIVACY_ERASURES",
    "PRODUCT_DAILY",
    "QUARANTINE_COLUMNS",
    "RETENTION_DAILY",
    "SCHEDULER_STATE",
    "SCHEMA_MIGRATIONS",
    "SESSIONS",
    "SESSION_STEPS",
    "SITES",
    "TABLES",
    "TRAFFIC_DAILY",
    "VISITOR_ACTIVITY_DAILY",
    "VISITOR_DAILY",
    "VISITOR_FIRST_SEEN",
    "Column",
    "Table",
    "is_daily_partition",
    "partition_name",
    "table",
]
