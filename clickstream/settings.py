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

    pseudonymise_key: SecretStr | None = Field(
        None,
        description="Secret key for keyed pseudonyms: when set, the ingest API stores "
        "HMAC-SHA256(key, token subject) as `user_id` instead of the shop's user id.",
    )

    @property
    def pseudonym_key(self) -> bytes | None:
        """The pseudonymisation key as bytes, or None when pseudonyms are off."""
        if self.pseudonymise_key is None:
            return None
        return self.pseudonymise_key.get_secret_value().encode()

    @property
    def lake_location(self) -> str:
        """The lake URL, defaulting to a folder under the data directory."""
        return self.lake_url or str(self.data_dir / "lake")

    @property
    def media_location(self) -> str:
        """The media store URL, defaulting to a folder under the data directory."""
        return self.media_url or str(self.data_dir / "media")


from clickstream.ingest.configuration import IngestSettings as IngestSettings  # noqa: E402


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
    etl_batch_files: int = Field(
        500, ge=1, description="Most lake files loaded together in one warehouse transaction."
    )
    etl_batch_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="About how many compressed bytes of lake files one batch holds.",
    )
    etl_duckdb_threads: int = Field(
        2, ge=1, le=256, description="Threads DuckDB uses for the transform."
    )
    etl_duckdb_memory_limit: str = Field(
        "1GB",
        pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$",
        description=(
            "Memory each of the ETL's DuckDB connections (two for batches, one for the "
            "derive) may use, e.g. `1GB`."
        ),
    )
    etl_fetch_workers: int = Field(
        4, ge=1, le=64, description="Lake files downloaded and decompressed in parallel."
    )
    etl_work_dir: Path | None = Field(
        None,
        description="Folder for the ETL's temporary files; unset means the system's "
        "temporary folder.",
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


class SchedulerSettings(EtlSettings, OpsSettings):
    """The ETL commands, which also evaluate alarms after each run."""


class ShopSettings(CommonSettings):
    """The web shop, its user pool (auth) and the tracker it serves."""

    shop_host: str = Field("127.0.0.1", description="Address the shop listens on.")
    shop_port: int = Field(8000, ge=1, le=65535, description="Port of the shop.")
    shop_public_url: str = Field(
        "http://127.0.0.1:8000",
        description="The shop's public base URL, as shoppers reach it; the default token issuer.",
    )
    shop_cdn_url: str | None = Field(
        None, description="Optional CDN base URL in front of the shop's media and static files."
    )
    shop_currency: str = Field(
        "EUR", pattern=r"^[A-Z]{3}$", description="Currency of prices and orders (ISO 4217)."
    )
    shop_cookie_secure: bool = Field(
        False, description="Whether the shop's session cookie is sent over HTTPS only."
    )
    tracker_ingest_url: str = Field(
        "http://127.0.0.1:8080/clickstream",
        description="Where the browser tracker posts events (the ingest API's collect URL).",
    )
    tracker_honour_dnt: bool = Field(
        True, description="Whether the tracker sends nothing when the browser asks Do Not Track."
    )
    auth_issuer: str | None = Field(
        None, description="`iss` of the tokens the shop issues; unset means the shop's public URL."
    )
    auth_audience: str = Field("clickstream", description="`aud` of the tokens the shop issues.")
    auth_access_token_seconds: int = Field(
        3600, ge=60, description="Lifetime of access and ID tokens, in seconds."
    )
    auth_key_rotation_days: int = Field(
        30, ge=1, description="Age after which the token signing key is replaced by a new one."
    )
    auth_key_grace_days: int = Field(
        2, ge=0, description="How long a replaced signing key stays in the JWKS, in days."
    )
    auth_max_failed_logins: int = Field(
        5,
        ge=1,
        description="Failed sign-ins in a row after which an account is locked for a while.",
    )
    auth_lockout_seconds: int = Field(
        900, ge=1, description="How long an account stays locked after too many failed sign-ins."
    )
    auth_reset_token_seconds: int = Field(
        3600, ge=60, description="How long a password reset link stays valid, in seconds."
    )
    smtp_url: SecretStr | None = Field(
        None,
        description="SMTP server for password reset mail (`smtp://user:pass@host:587`); unset "
        "means reset links are written to the log.",
    )
    smtp_sender: str = Field(
        "shop@localhost", description="The `From` address of mail the shop sends."
    )

    @property
    def shop_local_url(self) -> str:
        """Where a process on this machine reaches the shop."""
        wildcard = self.shop_host in ("0.0.0.0", "::", "")  # noqa: S104
        host = "127.0.0.1" if wildcard else self.shop_host
        return f"http://{host}:{self.shop_port}"

    @property
    def token_issuer(self) -> str:
        """The `iss` claim of issued tokens."""
        return self.auth_issuer or self.shop_public_url.rstrip("/")


class PlatformSettings(IngestSettings, EtlSettings, DashboardSettings, OpsSettings, ShopSettings):
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
