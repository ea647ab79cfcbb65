"""The ingest's settings (`CLICKSTREAM_INGEST_*` and the shared ones), read once at start-up.

Every default is written here once; the parts' own defaults (`Limits`, `Spool`, the skew
window) are read from these fields with `default_of`.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator

from clickstream import settings
from clickstream.settings import CommonSettings


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
    ingest_max_event_items: int = Field(
        200, ge=1, description="Most lines in an event's `items` (a cart, checkout or order)."
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
    ingest_ship_interval_seconds: float = Field(
        1.0,
        gt=0,
        description="The shipper looks for closed spool files to move to the lake this often.",
    )
    ingest_ship_max_backoff_seconds: float = Field(
        30.0,
        gt=0,
        description="Longest wait between two attempts to ship while the lake is failing (the "
        "wait doubles from the ship interval up to this).",
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
    ingest_token_leeway_seconds: float = Field(
        5.0,
        ge=0,
        le=300,
        description="Clock skew allowed when checking a bearer token's `exp` (and `nbf`, `iat`): "
        "a token expired up to this many seconds ago is still accepted.",
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
        "`/metrics` and `/live` (others get 404); the collector is public, its metrics are "
        "private.",
    )
    ingest_live: bool = Field(
        True,
        description="Keep the last 30 minutes' per-minute counters (events, a visitor sketch, "
        "top pages, per site) that `GET /live` serves to the dashboard's Live page; `false` "
        "turns them off (`/live` answers 404).",
    )

    ingest_geoip_database: Path | None = Field(
        None,
        description="A MaxMind GeoIP2 or GeoLite2 Country/City database (`.mmdb`) to look "
        "client countries and regions up in; unset uses the registries' country data the "
        "`iptocc` package carries (country only).",
    )
    ingest_sites_db_url: SecretStr | None = Field(
        None,
        description="PostgreSQL URL of the warehouse the ingest reads the site registry from "
        "(a read-only role is enough); unset: no registry, only the default site is accepted.",
    )
    ingest_sites_refresh_seconds: float = Field(
        30.0,
        gt=0,
        description="How often each ingest replica re-reads the site registry; between reads, "
        "and while the warehouse is unreachable, it uses the last one read.",
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

    ingest_workers: int = Field(
        0,
        ge=0,
        le=256,
        description="Ingest processes `clickstream ingest serve` runs on one port, sharing one "
        "spool folder; 0 means one per core (`clickstream up` runs one unless set).",
    )

    ingest_rate_limit_prefix: str = Field(
        "clickstream:rl:",
        pattern=r"^[A-Za-z0-9:_.-]{1,64}$",
        description="Prefix of the rate-limit keys in Redis: replicas with the same prefix share "
        "one budget per client; give each deployment sharing a Redis its own.",
    )

    @property
    def ingest_local_url(self) -> str:
        """Where a process on this machine reaches the ingest API."""
        wildcard = self.ingest_host in ("0.0.0.0", "::", "")  # noqa: S104
        host = "127.0.0.1" if wildcard else self.ingest_host
        return f"http://{host}:{self.ingest_port}"


def worker_count(configured: int) -> int:
    """The number of ingest processes for the setting `configured` (0: one per usable core)."""
    if configured > 0:
        return configured
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_of(name: str) -> Any:
    """The default of the ingest setting `name` (a field of `IngestSettings`)."""
    return settings.default_of(IngestSettings, name)
