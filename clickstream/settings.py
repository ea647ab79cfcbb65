"""The base of every part's settings: `CLICKSTREAM_*` variables, then `.env`, then defaults.

This is the only module that reads the environment. Each part declares its own settings class
on top of `CommonSettings` in its `configuration.py` (the CLI and the runtime compose them);
`load` resolves one and turns a bad value into `SettingsInvalid`, whose message names the
variable and what it accepts.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import Field, SecretStr, ValidationError, field_validator
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
        description="TCP port of the embedded PostgreSQL on 127.0.0.1; 0 keeps the port of its "
        "last start on this data directory (a free one the first time or when taken).",
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
    ingest_max_batch_events: int = Field(
        500, ge=1, description="Most events accepted in one request."
    )
    ingest_max_event_bytes: int = Field(
        32 * 1024, ge=256, description="Largest single event accepted, in bytes of JSON."
    )
    ingest_max_json_depth: int = Field(
        20, ge=2, description="Deepest nesting of JSON objects and arrays accepted in an event."
    )
    ingest_max_property_keys: int = Field(
        50, ge=0, description="Most keys (counted at every depth) in an event's `properties`."
    )
    ingest_spool_dir: Path | None = Field(
        None,
        description="Folder of the durable local spool; unset means `<data_dir>/spool`.",
    )
    ingest_spool_file_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="A spool file is closed and shipped to the lake once it holds this many bytes.",
    )
    ingest_spool_file_seconds: float = Field(
        60.0,
        gt=0,
        description="A spool file is closed and shipped to the lake once it is this many "
        "seconds old.",
    )
    ingest_spool_max_bytes: int = Field(
        1024 * 1024 * 1024,
        ge=1024,
        description="Largest spool while the lake is unreachable; past it requests get 503.",
    )
    ingest_ship_before_ack: bool = Field(
        False,
        description="Also ship each batch to the lake before answering (slow; for tests and "
        "set-ups that must see events in the lake at once). The spool still comes first.",
    )
    ingest_retry_after_seconds: int = Field(
        5, ge=1, description="`Retry-After` sent with 503 (spool full, storage failing)."
    )
    ingest_auth: Literal["off", "optional", "required"] = Field(
        "optional",
        description="Bearer tokens: `off` ignores them, `optional` verifies one when sent "
        "(guest otherwise), `required` answers 401 without a valid one.",
    )
    ingest_jwks_url: str | None = Field(
        None, description="HTTP(S) URL of the JWKS that signs accepted tokens."
    )
    ingest_jwks_file: Path | None = Field(
        None, description="Local JSON file holding the JWKS, instead of a URL."
    )
    ingest_jwt_issuer: str | None = Field(
        None, description="The `iss` every accepted token must carry."
    )
    ingest_jwt_audience: str = Field(
        "clickstream", description="The `aud` every accepted token must carry."
    )
    ingest_jwt_algorithms: str = Field(
        "RS256",
        pattern=r"^(RS|PS|ES)(256|384|512)(,(RS|PS|ES)(256|384|512))*$",
        description="Comma-separated asymmetric signature algorithms accepted (e.g. `RS256`).",
    )
    ingest_jwks_refresh_seconds: float = Field(
        30.0,
        ge=0,
        description="At most one JWKS refresh for an unknown `kid` within this many seconds.",
    )
    ingest_cors_origins: str = Field(
        "",
        description="Comma-separated origins allowed to call the API from a browser (exact "
        "match); empty sends no CORS headers.",
    )
    ingest_rate_limit_per_second: float = Field(
        50.0, ge=0, description="Requests a client IP may make per second; 0 turns limits off."
    )
    ingest_rate_limit_burst: int = Field(
        200, ge=1, description="Requests a client IP may make at once before the rate applies."
    )
    ingest_trusted_proxies: str = Field(
        "",
        description="Comma-separated addresses or networks whose `X-Forwarded-For` is believed.",
    )
    redis_url: SecretStr | None = Field(
        None,
        description="Redis URL (`redis://host:6379/0`) shared by ingest replicas for rate "
        "limits; unset keeps limits in process.",
    )
    ingest_quarantine_per_minute: int = Field(
        60,
        ge=0,
        description="Most rejected requests sampled into the lake's `quarantine/` a minute.",
    )

    @property
    def ingest_spool_location(self) -> Path:
        """The spool folder, defaulting to `<data_dir>/spool`."""
        return self.ingest_spool_dir or self.data_dir / "spool"

    ingest_metrics_networks: str = Field(
        "127.0.0.0/8,::1",
        description="Comma-separated networks whose clients may read the ingest API's "
        "`/metrics` (others get 404); the collector is public, its metrics are private.",
    )

    @field_validator("ingest_trusted_proxies", "ingest_metrics_networks")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in value.split(","):
            if part.strip():
                try:
                    ipaddress.ip_network(part.strip(), strict=False)
                except ValueError:
                    raise ValueError(
                        f"{part.strip()!r} is not an address or network such as 10.0.0.0/8"
                    ) from None
        return value

    @property
    def ingest_local_url(self) -> str:
        """Where a process on this machine reaches the ingest API."""
        wildcard = self.ingest_host in ("0.0.0.0", "::", "")  # noqa: S104
        host = "127.0.0.1" if wildcard else self.ingest_host
        return f"http://{host}:{self.ingest_port}"


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


def variables(cls: type[CommonSettings]) -> dict[str, str]:
    """Each setting of `cls` as its variable name and help text, for docs and `--help`."""
    return {
        f"{ENV_PREFIX}{name.upper()}": info.description or ""
        for name, info in cls.model_fields.items()
    }
