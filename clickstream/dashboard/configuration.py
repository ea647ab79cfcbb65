"""The dashboard's settings: where it listens, how it reads the warehouse and the ingest's
live counters."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from clickstream.settings import CommonSettings


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
    dashboard_currency: str = Field(
        "EUR",
        pattern=r"^[A-Z]{3}$",
        description="Currency (ISO 4217) shown beside every amount: the shop's one currency "
        "(`CLICKSTREAM_SHOP_CURRENCY`). Amounts are summed as sent, never converted.",
    )
    dashboard_statement_timeout_seconds: float = Field(
        15.0, gt=0, description="A dashboard query running longer than this is cancelled."
    )
    dashboard_auth: Literal["on", "none"] = Field(
        "on",
        description="`on`: every page asks for a sign-in (a dashboard account, or OIDC when an "
        "issuer is set); `none`: anyone who reaches the port sees every page (logged loudly).",
    )
    dashboard_session_secret: SecretStr | None = Field(
        None,
        description="Key that signs session cookies; unset means a random key per start, so "
        "sessions end when the dashboard restarts.",
    )
    dashboard_session_hours: float = Field(
        12.0, gt=0, le=24 * 30, description="How long a sign-in lasts before asking again."
    )
    dashboard_public_url: str | None = Field(
        None,
        description="The dashboard's address as browsers reach it (https behind a proxy); "
        "used in sign-in links and as the OIDC redirect. Unset: http://host:port.",
    )
    dashboard_sign_in_failures_per_ip: int = Field(
        20, ge=1, description="Failed sign-ins one client IP may make per throttle window."
    )
    dashboard_sign_in_failures_per_login: int = Field(
        5, ge=1, description="Failed sign-ins against one login per throttle window."
    )
    dashboard_sign_in_window_seconds: float = Field(
        300.0, gt=0, description="The sign-in throttle's window, from the first failure."
    )
    dashboard_link_hours: float = Field(
        24.0, gt=0, description="How long a one-time sign-in link stays usable."
    )
    dashboard_api_max_days: int = Field(
        366,
        ge=1,
        le=3660,
        description="Longest date range, in days, one request to the JSON API (/api/v1) may ask.",
    )
    dashboard_oidc_issuer: str | None = Field(
        None,
        description="OIDC issuer URL (its /.well-known/openid-configuration is read); set it "
        "with a client id to offer single sign-on (Cognito, Google Workspace, Keycloak, ...).",
    )
    dashboard_oidc_client_id: str | None = Field(None, description="OIDC client id.")
    dashboard_oidc_client_secret: SecretStr | None = Field(
        None, description="OIDC client secret (unset for a public client: PKCE only)."
    )
    dashboard_oidc_scopes: str = Field(
        "openid email profile", description="Scopes asked of the OIDC issuer."
    )

    dashboard_live_urls: str = Field(
        "http://127.0.0.1:8080/live",
        description="The ingest replicas' `/live` URLs the Live page reads and adds up, "
        "separated by spaces or commas (`clickstream up` points it at its own ingest).",
    )
    dashboard_live_refresh_seconds: float = Field(
        10.0, ge=0.5, le=3600, description="How often the Live page reads the ingest again."
    )

    @property
    def dashboard_live_sources(self) -> list[str]:
        """`dashboard_live_urls` as a list."""
        return [url for url in self.dashboard_live_urls.replace(",", " ").split() if url]

    @property
    def dashboard_local_url(self) -> str:
        """Where a process on this machine reaches the dashboard."""
        return f"http://{self.dashboard_host}:{self.dashboard_port}"

    @property
    def dashboard_base_url(self) -> str:
        """Where browsers reach the dashboard: the public URL, or the local one."""
        return (self.dashboard_public_url or self.dashboard_local_url).rstrip("/")
