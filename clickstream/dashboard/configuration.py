"""The dashboard's settings: where it listens and how it reads the warehouse."""

from __future__ import annotations

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

    @property
    def dashboard_local_url(self) -> str:
        """Where a process on this machine reaches the dashboard."""
        return f"http://{self.dashboard_host}:{self.dashboard_port}"
