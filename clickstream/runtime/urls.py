"""Every address `clickstream up` hands its parts, derived from the ports it actually uses.

A URL the user set (in the environment or `.env`) is kept as given; any other follows the
listening ports, so `CLICKSTREAM_SHOP_PORT=28000` alone moves the shop's links, the token
issuer, the ingest's CORS allow-list and its JWKS URL together.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from clickstream.runtime.configuration import PlatformSettings


@dataclass(frozen=True)
class PlatformUrls:
    """The addresses the parts of one `clickstream up` use to reach each other."""

    shop: str
    ingest: str
    dashboard: str
    collect: str
    issuer: str
    cors_origins: str
    metrics: str
    live: str
    jwks: str | None  # None: the ingest reads its keys from CLICKSTREAM_INGEST_JWKS_FILE


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _given(settings: PlatformSettings, name: str) -> str | None:
    """The value of setting `name` when the user set it, else None (a default)."""
    value = getattr(settings, name)
    return str(value) if name in settings.model_fields_set and value is not None else None


def platform_urls(settings: PlatformSettings) -> PlatformUrls:
    """The URLs for `settings`: those the user set, the rest from the ports in use."""
    shop = (_given(settings, "shop_public_url") or settings.shop_local_url).rstrip("/")
    ingest = settings.ingest_local_url
    issuer = settings.auth_issuer or shop
    jwks = _given(settings, "ingest_jwks_url") or f"{settings.shop_local_url}/.well-known/jwks.json"
    return PlatformUrls(
        shop=shop,
        ingest=ingest,
        dashboard=settings.dashboard_local_url,
        collect=_given(settings, "tracker_ingest_url") or f"{ingest}/clickstream",
        issuer=issuer,
        cors_origins=_given(settings, "ingest_cors_origins") or _origin(shop),
        metrics=_given(settings, "alarm_ingest_metrics_urls") or f"{ingest}/metrics",
        live=_given(settings, "dashboard_live_urls") or f"{ingest}/live",
        jwks=None if settings.ingest_jwks_file is not None else jwks,
    )


def part_addresses(settings: PlatformSettings, urls: PlatformUrls) -> dict[str, dict[str, str]]:
    """The variables that wire each part to the others."""
    ingest = {
        "CLICKSTREAM_INGEST_JWT_ISSUER": _given(settings, "ingest_jwt_issuer") or urls.issuer,
        "CLICKSTREAM_INGEST_JWT_AUDIENCE": settings.ingest_jwt_audience
        if "ingest_jwt_audience" in settings.model_fields_set
        else settings.auth_audience,
        "CLICKSTREAM_INGEST_CORS_ORIGINS": urls.cors_origins,
    }
    if urls.jwks is not None:
        ingest["CLICKSTREAM_INGEST_JWKS_URL"] = urls.jwks
    return {
        "shop": {
            "CLICKSTREAM_SHOP_PUBLIC_URL": urls.shop,
            "CLICKSTREAM_TRACKER_INGEST_URL": urls.collect,
        },
        "ingest": ingest,
        "scheduler": {"CLICKSTREAM_ALARM_INGEST_METRICS_URLS": urls.metrics},
        "dashboard": {"CLICKSTREAM_DASHBOARD_LIVE_URLS": urls.live},
    }
