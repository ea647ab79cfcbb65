"""Settings of alarms, their notifications and lake retention."""

from __future__ import annotations

from pydantic import Field, SecretStr

from clickstream.settings import CommonSettings


class OpsSettings(CommonSettings):
    """Alarms and their notifications."""

    alert_urls: SecretStr | None = Field(
        None,
        description="Apprise URLs that receive alarm notifications, separated by spaces or "
        "commas (mailto://, slack://, json:// webhooks, sns://, ...); unset records incidents "
        "without sending them.",
    )
    alert_retry_seconds: float = Field(
        30.0, ge=0, description="First wait before a failed notification is retried; doubles."
    )
    alarm_interval_seconds: float = Field(
        60.0, gt=0, description="How often the scheduler evaluates alarms between ETL runs."
    )
    alarm_nothing_loaded_hours: float = Field(
        3.0, gt=0, description="Alarm when no event was loaded for this many hours."
    )
    alarm_quarantine_per_hour: int = Field(
        100, ge=0, description="Alarm when more records than this were quarantined in an hour."
    )
    alarm_disk_free_percent: float = Field(
        10.0, ge=0, le=100, description="Alarm when the data directory's disk has less free."
    )
    alarm_ingest_metrics_urls: str = Field(
        "http://127.0.0.1:8080/metrics",
        description="The ingest replicas' `/metrics` URLs the scheduler reads for the ingest "
        "alarms, separated by spaces or commas.",
    )
    alarm_ingest_min_requests: int = Field(
        20, ge=1, description="Ingest rate alarms judge an interval only with this many requests."
    )
    alarm_ingest_reject_rate: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Alarm when more than this share of ingest requests is refused.",
    )
    alarm_ingest_5xx_rate: float = Field(
        0.01,
        ge=0,
        le=1,
        description="Alarm when more than this share of ingest requests gets a 5xx.",
    )
    alarm_spool_bytes: int = Field(
        256 * 2**20, ge=0, description="Alarm when the ingest spools hold more bytes than this."
    )
    alarm_ship_lag_seconds: float = Field(
        600.0,
        ge=0,
        description="Alarm when the oldest event not yet shipped to the lake is older than this.",
    )
    lake_retention_days: int = Field(
        0,
        ge=0,
        description="Delete raw lake event objects this many days after their hour, once "
        "loaded; 0 keeps them forever (the lake is what `etl rebuild` reads).",
    )
