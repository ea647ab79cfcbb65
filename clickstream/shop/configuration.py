"""The shop's settings: the shop, its user pool (auth) and the tracker it serves."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from clickstream.settings import CommonSettings


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
    auth_refresh_token_days: int = Field(
        30, ge=1, description="Lifetime of a refresh token; each refresh issues a new one."
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
    auth_attempts_per_minute: int = Field(
        20,
        ge=0,
        description="Sign-in, sign-up and password-reset attempts one client IP may make a "
        "minute; more get 429 until the minute ends. 0 turns the limit off.",
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
    auth_backend: Literal["local", "cognito"] = Field(
        "local",
        description="Where the shop's accounts live: `local` (argon2 hashes in the shop "
        "database, tokens the shop signs) or `cognito` (an Amazon Cognito user pool, its ID "
        "tokens; needs the `clickstream[aws]` extra).",
    )
    auth_cognito_pool_id: str | None = Field(
        None, description="The Cognito user pool id (`eu-west-1_AbC123`) for the `cognito` backend."
    )
    auth_cognito_client_id: str | None = Field(
        None, description="The pool's app client id (no client secret) for the `cognito` backend."
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
