"""The ETL's bookkeeping: runs (the ledger), the lake manifest, the quarantine, the days left
to derive, and the scheduler's state."""

from __future__ import annotations

from typing import Final

from clickstream.warehouse.schema.model import table

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
