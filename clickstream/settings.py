"""Typed settings for every part, read from `CLICKSTREAM_*` variables, then `.env`, then defaults.

This is the only module that reads the environment. Each part gets its own settings class;
`load` resolves one and turns a bad value into `SettingsInvalid`, whose message names the
variable and what it accepts.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

ENV_PREFIX = "CLICKSTREAM_"


class SettingsInvalid(Exception):
    """A `CLICKSTREAM_*` value could not be accepted; the message says which and why."""


class CommonSettings(BaseSettings):
    """Settings every part shares: where data lives and which servers to use."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", extra="ignore", validate_default=True
    )

    data_dir: Path = Field(
        Path(".clickstream"),
        description="Folder for the embedded PostgreSQL, the local lake, media and run state.",
    )
    warehouse_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL of the warehouse database; unset means the embedded server.",
    )
    shop_db_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL of the shop database; unset means the embedded server.",
    )
    lake_url: str | None = Field(
        None,
        description="Where raw events are written: a folder or an fsspec URL such as "
        "`s3://bucket/prefix`; unset means `<data_dir>/lake`.",
    )
    media_url: str | None = Field(
        None,
        description="Where product media live, separate from the lake; unset means "
        "`<data_dir>/media`.",
    )
    node_id: str = Field(
        default_factory=socket.gethostname,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$",
        description="Name of this node in lake object names and logs (letters, digits, `_.-`).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest level of log records written (debug, info, warning, error)."
    )
    embedded_pg_port: int = Field(
        0,
        ge=0,
        le=65535,
        description="TCP port of the embedded PostgreSQL on 127.0.0.1; 0 picks a free one.",
    )

    @property
    def lake_location(self) -> str:
        """The lake URL, defaulting to a folder under the data directory."""
        return self.lake_url or str(self.data_dir / "lake")

    @property
    def media_location(self) -> str:
        """The media store URL, defaulting to a folder under the data directory."""
        return self.media_url or str(self.data_dir / "media")


class IngestSettings(CommonSettings):
    """The ingest API: where it listens and what it accepts."""

    ingest_host: str = Field("0.0.0.0", description="Address the ingest API listens on.")  # noqa: S104
    ingest_port: int = Field(8080, ge=1, le=65535, description="Port of the ingest API.")
    ingest_max_body_bytes: int = Field(
        1024 * 1024, ge=1024, description="Largest request body accepted, in bytes."
    )
    ingest_max_past_skew_seconds: int = Field(
        7 * 24 * 3600,
        ge=0,
        description="A client timestamp up to this far before receipt is kept as the event time.",
    )
    ingest_max_future_skew_seconds: int = Field(
        300,
        ge=0,
        description="A client timestamp up to this far after receipt is kept as the event time.",
    )

    @property
    def ingest_local_url(self) -> str:
        """Where a process on this machine reaches the ingest API."""
        wildcard = self.ingest_host in ("0.0.0.0", "::", "")  # noqa: S104
        host = "127.0.0.1" if wildcard else self.ingest_host
        return f"http://{host}:{self.ingest_port}"


class EtlSettings(CommonSettings):
    """The batch ETL and its scheduler."""

    etl_schedule: str = Field(
        "rate(1 hour)",
        description="When the scheduler runs the ETL: an EventBridge expression such as "
        "`rate(1 hour)` or `cron(5 * * * ? *)`.",
    )
    etl_run_at_start: bool = Field(
        True, description="Whether `etl schedule` runs once as soon as it starts."
    )


class DashboardSettings(CommonSettings):
    """The Shiny dashboard."""

    dashboard_host: str = Field("127.0.0.1", description="Address the dashboard listens on.")
    dashboard_port: int = Field(3838, ge=1, le=65535, description="Port of the dashboard.")
    dashboard_db_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL of the warehouse as the read-only dashboard role; unset "
        "means the embedded server's `clickstream_dashboard` role, or the warehouse URL.",
    )
    dashboard_default_days: int = Field(
        7, ge=1, le=366, description="Days the date filter covers when a page is first opened."
    )
    dashboard_pool_size: int = Field(
        4, ge=1, le=64, description="Most warehouse connections the dashboard keeps open."
    )
    dashboard_statement_timeout_seconds: float = Field(
        15.0, gt=0, description="A dashboard query running longer than this is cancelled."
    )

    @property
    def dashboard_local_url(self) -> str:
        """Where a process on this machine reaches the dashboard."""
        return f"http://{self.dashboard_host}:{self.dashboard_port}"


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


class SchedulerSettings(EtlSettings, OpsSettings):
    """The ETL commands, which also evaluate alarms after each run."""


class PlatformSettings(IngestSettings, EtlSettings, DashboardSettings, OpsSettings):
    """Everything `clickstream up` needs to start all parts together."""


S = TypeVar("S", bound=CommonSettings)


def load(cls: type[S], **overrides: Any) -> S:
    """Resolve `cls` from the environment; raise `SettingsInvalid` naming each bad variable."""
    try:
        return cls(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        raise SettingsInvalid(_describe(cls, exc)) from None


def _describe(cls: type[CommonSettings], exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        info = cls.model_fields.get(field)
        accepts = f" It is: {info.description}" if info and info.description else ""
        got = error.get("input")
        shown = f" (got {got!r})" if isinstance(got, str | int | float) and field != "?" else ""
        if info is not None and info.annotation is not None and "Secret" in str(info.annotation):
            shown = ""
        lines.append(f"{ENV_PREFIX}{field.upper()}: {error['msg']}{shown}.{accepts}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def all_variables() -> dict[str, str]:
    """Every setting's variable name and help text, for docs and `--help`."""
    return {
        f"{ENV_PREFIX}{name.upper()}": info.description or ""
        for name, info in PlatformSettings.model_fields.items()
    }
