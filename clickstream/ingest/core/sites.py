"""Sites at ingest: which site each event is for, whether it may send, and cookieless visitors.

`SiteGate.admit` is what the HTTP endpoint and any other adapter (the AWS Lambda handler)
call after decoding: an event without `site_id` is the default site's; an unregistered site is
refused (403, naming it); a site with a write key needs the request's key. For a cookieless
request (the tracker keeps nothing in the browser) the server makes the visitor id: a salted
hash of the site, the client IP and the user agent, with a random salt per UTC day that is
forgotten the day after, so the same browser is one visitor within a day and cannot be
followed across days (as Plausible and Umami count).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date

import msgspec

from clickstream import utc
from clickstream.events.record import Receipt
from clickstream.events.schema import DEFAULT_SITE_ID, Event
from clickstream.ingest.core.errors import RegistryUnavailable, SiteUnknown, WriteKeyRefused
from clickstream.warehouse.sites import Site, key_digest

__all__ = [
    "PLAIN_ADMISSION",
    "Admission",
    "DailySalts",
    "Registry",
    "SaltStore",
    "SiteGate",
    "check_sites",
    "visitor_id",
]

VISITOR_PREFIX = "h."  # a server-made (cookieless) client_id starts with this


@dataclass(frozen=True)
class Registry:
    """A snapshot of the registered sites; `loaded` is False until the warehouse answered once."""

    sites: Mapping[str, Site] = field(default_factory=dict)
    loaded: bool = True
    by_key: Mapping[str, Site] = field(default_factory=dict)  # by write-key digest

    @classmethod
    def of(cls, sites: list[Site]) -> Registry:
        """A loaded registry of `sites`."""
        keyed = {site.write_key_sha256: site for site in sites if site.write_key_sha256}
        return cls({site.site_id: site for site in sites}, loaded=True, by_key=keyed)

    def site_for_key(self, write_key: str) -> Site | None:
        """The site whose write key is `write_key` (SDKs that send only a key name a site so)."""
        return self.by_key.get(key_digest(write_key))

    @functools.cached_property
    def origins(self) -> frozenset[str]:
        """Every registered site's browser origins (built once per snapshot: CORS asks on every
        request)."""
        return frozenset(origin for site in self.sites.values() for origin in site.origins)


@dataclass(frozen=True)
class Admission:
    """What a request says about its sender: the write key it carries, whether it is cookieless."""

    write_key: str | None = None
    cookieless: bool = False


# A request that carries no write key and keeps its cookies: most requests.
PLAIN_ADMISSION = Admission()


def check_sites(
    events: list[Event], registry: Registry, write_key: str | None, retry_after: int = 5
) -> None:
    """Raise `SiteUnknown`, `WriteKeyRefused` or `RegistryUnavailable` unless every event's
    site may send with `write_key`."""
    checked: set[str] = set()
    for index, event in enumerate(events):
        site_id = event.site_id or DEFAULT_SITE_ID
        if site_id in checked:
            continue
        checked.add(site_id)
        site = registry.sites.get(site_id)
        if site is None:
            if site_id == DEFAULT_SITE_ID:
                continue  # the default site is accepted unregistered (and before any load)
            if not registry.loaded:
                raise RegistryUnavailable(
                    f"site {site_id!r} cannot be checked: the site registry has not been read "
                    "from the warehouse yet; nothing was stored",
                    retry_after,
                )
            message = f"site {site_id!r} is not registered (`clickstream sites add {site_id}`)"
            error = {"index": index, "field": "site_id", "message": message}
            raise SiteUnknown(message, errors=[error])
        if not site.write_key_matches(write_key):
            what = (
                "carries no write key"
                if not write_key
                else "carries a write key that does not match"
            )
            raise WriteKeyRefused(f"site {site_id!r} has a write key and the request {what}")


def visitor_id(salt: bytes, site_id: str, ip: str | None, user_agent: str | None) -> str:
    """The cookieless visitor id: a keyed hash of site, IP and user agent under the day's salt."""
    text = f"{site_id}\n{ip or ''}\n{user_agent or ''}".encode()
    return VISITOR_PREFIX + hashlib.blake2b(text, key=salt, digest_size=16).hexdigest()


SaltStore = Callable[[date, bytes], bytes]  # (day, a fresh candidate) -> the day's shared salt


class DailySalts:
    """One random salt per UTC day; only the current day's is kept, earlier ones are forgotten.

    With a `shared` store (Redis, for several ingest replicas) every process uses the salt the
    first one stored; without one, or while the store fails, each process draws its own.
    """

    def __init__(self, shared: SaltStore | None = None) -> None:
        self.shared = shared
        self._lock = threading.Lock()
        self._day: date | None = None
        self._salt = b""

    def salt(self, day: date) -> bytes:
        """The salt of `day` (a UTC date)."""
        with self._lock:
            if day != self._day:
                fresh = os.urandom(32)
                if self.shared is not None:
                    # a failing store: a process-local salt still counts visitors
                    with contextlib.suppress(Exception):
                        fresh = self.shared(day, fresh)
                self._day, self._salt = day, fresh  # the previous day's salt is dropped here
            return self._salt

    @property
    def days_held(self) -> list[date]:
        """The days whose salt this process still holds (at most one)."""
        return [self._day] if self._day is not None else []


_EMPTY = Registry()


def _no_registry() -> Registry:
    """Without a registry only the default site exists."""
    return _EMPTY


class SiteGate:
    """The site checks and cookieless visitor ids, over a registry snapshot provider."""

    def __init__(
        self,
        registry: Callable[[], Registry] | None = None,
        salts: DailySalts | None = None,
        retry_after: int = 5,
    ) -> None:
        self.registry: Callable[[], Registry] = registry or _no_registry
        self.salts = salts or DailySalts()
        self.retry_after = retry_after

    def admit(self, events: list[Event], receipt: Receipt, admission: Admission) -> list[Event]:
        """`events` once their sites were checked; cookieless ones get the server's visitor id."""
        check_sites(events, self.registry(), admission.write_key, self.retry_after)
        if not admission.cookieless:
            return events
        salt = self.salts.salt(utc.as_utc(receipt.received_at).date())
        return [
            msgspec.structs.replace(
                event,
                client_id=visitor_id(
                    salt, event.site_id or DEFAULT_SITE_ID, receipt.client_ip, receipt.user_agent
                ),
                session_id=None,
                is_first_visit=None,
            )
            for event in events
        ]
