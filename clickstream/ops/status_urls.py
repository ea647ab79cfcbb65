"""What `status` and the `up` banner say about addresses: database URLs (password masked) and
cross-origin requests the ingest refused, which mean a browser's events are being lost."""

from __future__ import annotations

import re
import urllib.request
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from clickstream.warehouse.roles import SHOP_ROLE

CORS_REFUSED_METRIC = "clickstream_ingest_cors_refused_requests_total"
MASK = "***"
_CONNINFO_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)")
_METRICS_TIMEOUT_SECONDS = 3.0


def masked_url(url: str) -> str:
    """A database URL or libpq string with any password replaced by `***`."""
    if "://" not in url:
        return _CONNINFO_PASSWORD.sub(rf"\g<1>{MASK}", url)
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        if ":" in userinfo:
            userinfo = f"{userinfo.split(':', 1)[0]}:{MASK}"
        netloc = f"{userinfo}@{host}"
    query = urlencode(
        [(k, MASK if k == "password" else v) for k, v in parse_qsl(parts.query)], safe="*"
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def _embedded_shop_url(warehouse_url: str) -> str:
    """The shop database on the same embedded server as the warehouse at `warehouse_url`."""
    parts = urlsplit(warehouse_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit((parts.scheme, f"{SHOP_ROLE}@{host}", "/shop", "", ""))


class DatabaseSettings(Protocol):
    """The settings that say where the databases are."""

    @property
    def warehouse_url(self) -> SecretStr | None: ...
    @property
    def shop_db_url(self) -> SecretStr | None: ...
    @property
    def data_dir(self) -> Path: ...


def shop_database_url(settings: DatabaseSettings, warehouse_url: str) -> str | None:
    """The shop database's URL as `status` can reach it: the one set, or the embedded server's
    when the warehouse is embedded too; None when it is not known here."""
    if settings.shop_db_url is not None:
        return settings.shop_db_url.get_secret_value()
    if settings.warehouse_url is None:
        return _embedded_shop_url(warehouse_url)
    return None


def database_lines(settings: DatabaseSettings, warehouse_url: str) -> list[str]:
    """A line per database: its URL with the password masked, and whether it is embedded."""
    embedded = settings.warehouse_url is None
    lines = [f"warehouse db  {masked_url(warehouse_url)}" + ("  (embedded)" if embedded else "")]
    if settings.shop_db_url is not None:
        lines.append(f"shop db       {masked_url(settings.shop_db_url.get_secret_value())}")
    elif embedded:
        lines.append(f"shop db       {_embedded_shop_url(warehouse_url)}  (embedded)")
    else:
        lines.append(f"shop db       embedded, under {settings.data_dir} (started by `up`)")
    return lines


def refused_cross_origin(metrics_text: str) -> dict[str, float]:
    """Cross-origin requests the ingest refused, per reason label (`?` when unlabelled)."""
    refused: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == CORS_REFUSED_METRIC and sample.value > 0:
                reason = sample.labels.get("reason", "?")
                refused[reason] = refused.get(reason, 0.0) + sample.value
    return refused


def cors_problem(metrics_url: str) -> str | None:
    """A problem line when the ingest at `metrics_url` refused cross-origin requests."""
    try:
        with urllib.request.urlopen(metrics_url, timeout=_METRICS_TIMEOUT_SECONDS) as response:  # noqa: S310
            text = response.read().decode("utf-8", errors="replace")
    except OSError:
        return None  # an ingest that does not answer is reported on its own line
    refused = refused_cross_origin(text)
    if not refused:
        return None
    reasons = ", ".join(sorted(r for r in refused if r != "?"))
    return (
        f"ingest refused {sum(refused.values()):.0f} cross-origin requests"
        + (f" ({reasons})" if reasons else "")
        + ": browsers' events are lost; add the shop's origin to CLICKSTREAM_INGEST_CORS_ORIGINS"
    )
