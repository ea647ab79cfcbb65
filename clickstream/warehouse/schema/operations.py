"""Operations: alarms' incidents and notifications, erasures, and the migrations' own table."""

from __future__ import annotations

from typing import Final

from clickstream.warehouse.schema.model import table

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

# Made by `migrate.py` itself, before any migration runs.
SCHEMA_MIGRATIONS: Final = table(
    "schema_migrations",
    "version integer not null",
    "name text not null",
    "checksum text not null",
    "applied_at timestamptz not null",
    key=("version",),
)
