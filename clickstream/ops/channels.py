"""Notification channels: Apprise URLs (e-mail, Slack, webhooks, SNS, ...).

A channel is known in the database by a hash of its URL and a label without credentials, so
that secrets in the URL never reach a table or a log.

Apprise is imported on first use, not with this module: it loads every one of its notification
plugins on import (0.09-0.11 s of CPU, measured after psycopg and pydantic are imported), which
every `clickstream etl run` paid before its first batch; most runs have no
CLICKSTREAM_ALERT_URLS, so never need it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from clickstream.ops.configuration import OpsSettings

if TYPE_CHECKING:
    import apprise


class AlertUrlInvalid(ValueError):
    """An entry of CLICKSTREAM_ALERT_URLS is not a URL Apprise can send to."""


@dataclass(frozen=True)
class Channel:
    """One destination for notifications."""

    url: str
    key: str
    label: str

    def __repr__(self) -> str:
        return f"Channel({self.label})"

    def send(self, title: str, body: str) -> bool:
        """Send one message; True when the channel accepted it."""
        sender = _apprise()
        sender.add(self.url)
        return bool(sender.notify(title=title, body=body))


def channel_for(url: str) -> Channel:
    """A channel for `url`; raises `AlertUrlInvalid` when Apprise does not know it."""
    if not _apprise().add(url):
        scheme = url.split("://", 1)[0] if "://" in url else "?"
        raise AlertUrlInvalid(f"CLICKSTREAM_ALERT_URLS: {scheme}:// is not a usable Apprise URL")
    parts = urlsplit(url)
    label = f"{parts.scheme}://{parts.hostname or ''}"
    return Channel(url=url, key=hashlib.sha256(url.encode()).hexdigest()[:16], label=label)


def configured_channels(settings: OpsSettings) -> list[Channel]:
    """The channels named in CLICKSTREAM_ALERT_URLS (none when unset)."""
    if settings.alert_urls is None:
        return []
    urls = [u for u in re.split(r"[\s,]+", settings.alert_urls.get_secret_value()) if u]
    return [channel_for(url) for url in urls]


def _apprise() -> apprise.Apprise:
    import apprise

    return apprise.Apprise()
