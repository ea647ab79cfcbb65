"""The site registry in the warehouse: register, list and remove sites (docs/tracking.md).

A site is a property that sends events: an id (what events carry as `site_id`), a name, the
browser origins its pages post from (the ingest API's CORS allow-list) and, optionally, a
write key. Only the key's SHA-256 is stored; `write_key_matches` compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

import psycopg

SITE_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
ORIGIN_PATTERN = re.compile(r"^https?://[^/\s?#]+$")

_UPSERT = """
INSERT INTO sites (site_id, name, origins, write_key_sha256) VALUES (%s, %s, %s, %s)
ON CONFLICT (site_id) DO UPDATE SET name = excluded.name, origins = excluded.origins,
    write_key_sha256 = excluded.write_key_sha256
"""
_INSERT = """
INSERT INTO sites (site_id, name, origins, write_key_sha256) VALUES (%s, %s, %s, %s)
ON CONFLICT (site_id) DO NOTHING
"""
# Adds origins to a site that exists (keeping the owner's name, key and other origins).
_ADD_ORIGINS = """
UPDATE sites SET origins = ARRAY(
    SELECT DISTINCT o FROM unnest(origins || %s::text[]) AS o ORDER BY o)
WHERE site_id = %s
"""
_SELECT = "SELECT site_id, name, origins, write_key_sha256 FROM sites ORDER BY site_id"
_DELETE = "DELETE FROM sites WHERE site_id = %s"


class SiteInvalid(ValueError):
    """A site id or origin breaks its rule; the message names it."""


@dataclass(frozen=True)
class Site:
    """One registered site."""

    site_id: str
    name: str
    origins: tuple[str, ...] = ()
    write_key_sha256: str | None = field(default=None, repr=False)

    @property
    def has_write_key(self) -> bool:
        """Whether events for this site must carry its write key."""
        return self.write_key_sha256 is not None

    def write_key_matches(self, key: str | None) -> bool:
        """Whether `key` is this site's write key (True for any key when it has none)."""
        if self.write_key_sha256 is None:
            return True
        if not key:
            return False
        return hmac.compare_digest(key_digest(key), self.write_key_sha256)


def key_digest(key: str) -> str:
    """The SHA-256 (hex) a write key is stored as."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_write_key() -> str:
    """A fresh random write key (32 URL-safe characters)."""
    return secrets.token_urlsafe(24)


def normalise_origin(origin: str) -> str:
    """`origin` without a trailing slash; raises `SiteInvalid` unless it is scheme://host[:port]."""
    value = origin.strip().rstrip("/")
    if not ORIGIN_PATTERN.match(value):
        raise SiteInvalid(f"{origin!r} is not an origin such as https://shop.example")
    return value


def make_site(
    site_id: str, name: str, origins: list[str] | tuple[str, ...] = (), write_key: str | None = None
) -> Site:
    """A checked `Site`; raises `SiteInvalid` naming the bad id or origin."""
    if not SITE_ID_PATTERN.match(site_id):
        raise SiteInvalid(
            f"site id {site_id!r} must be 1-64 letters, digits, `_`, `.` or `-`, "
            "starting with a letter or digit"
        )
    cleaned = tuple(sorted({normalise_origin(o) for o in origins}))
    return Site(site_id, name or site_id, cleaned, key_digest(write_key) if write_key else None)


def save_site(conn: psycopg.Connection, site: Site) -> None:
    """Register `site`, replacing the site of the same id."""
    conn.execute(_UPSERT, (site.site_id, site.name, list(site.origins), site.write_key_sha256))


def ensure_site(conn: psycopg.Connection, site: Site) -> None:
    """Register `site` unless its id exists; then make sure it lists `site.origins`."""
    conn.execute(_INSERT, (site.site_id, site.name, list(site.origins), site.write_key_sha256))
    conn.execute(_ADD_ORIGINS, (list(site.origins), site.site_id))


def list_sites(conn: psycopg.Connection) -> list[Site]:
    """Every registered site, by id."""
    return [
        Site(site_id, name, tuple(origins or ()), digest)
        for site_id, name, origins, digest in conn.execute(_SELECT).fetchall()
    ]


def remove_site(conn: psycopg.Connection, site_id: str) -> bool:
    """Unregister `site_id`; False when it was not registered. Its stored events stay."""
    return conn.execute(_DELETE, (site_id,)).rowcount > 0
