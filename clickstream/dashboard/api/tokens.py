"""API tokens: a name, the sites whose numbers it may read, and the SHA-256 of its secret.

Managed from the command line (`clickstream api-tokens ...`) over the warehouse's owner URL;
the dashboard only reads them (`TokenBook`, through the read-only role). A token is 32 random
bytes, printed once; only its hash is stored, and nothing here logs either.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import psycopg
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from clickstream.dashboard.signin.accounts import AccountInvalid, parse_sites

PREFIX: Final = "csk_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
CACHE_SECONDS: Final = 2.0
CACHE_LIMIT: Final = 1024

COLUMNS = "name, sites, created_at"
INSERT_SQL = "INSERT INTO api_tokens (name, token_sha256, sites) VALUES (%s, %s, %s)"
ALL_SQL = f"SELECT {COLUMNS} FROM api_tokens ORDER BY name"
BY_HASH_SQL = f"SELECT {COLUMNS} FROM api_tokens WHERE token_sha256 = %s"
DELETE_SQL = "DELETE FROM api_tokens WHERE name = %s"


class TokenInvalid(ValueError):
    """A token name or site list was refused; the message says which and why."""


class TokenNotFound(LookupError):
    """No token has this name."""


@dataclass(frozen=True)
class ApiToken:
    """One token as the API sees it (never its secret)."""

    name: str
    sites: tuple[str, ...] | None  # None: every site

    def may_read(self, site_id: str) -> bool:
        """Whether the token may read the numbers of `site_id`."""
        return self.sites is None or site_id in self.sites

    def describe_sites(self) -> str:
        """`all sites`, or the site ids joined by commas."""
        return "all sites" if self.sites is None else ", ".join(self.sites)


def digest(token: str) -> str:
    """The stored form of `token`: its SHA-256, in hex."""
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def new_token() -> str:
    """A fresh token: the prefix and 32 random bytes, URL-safe base64."""
    return PREFIX + secrets.token_urlsafe(32)


def parse_token_sites(text: str) -> tuple[str, ...] | None:
    """`a,b` as ('a', 'b'); `all` as every site. Raises `TokenInvalid` naming the problem."""
    try:
        return parse_sites(text)
    except AccountInvalid as exc:
        raise TokenInvalid(str(exc)) from None


def check_name(name: str) -> str:
    """`name` when usable as a token's name; raises `TokenInvalid` saying what is allowed."""
    if not _NAME.match(name):
        raise TokenInvalid(
            f"token name {name!r}: use 1 to 64 lower-case letters, digits and . _ -, "
            "starting with a letter or digit"
        )
    return name


def add_token(conn: psycopg.Connection, name: str, sites: Sequence[str] | None) -> str:
    """Store a new token named `name` for `sites` (None: every site); return its secret."""
    token = new_token()
    site_list = None if sites is None else list(sites)
    try:
        with conn.transaction():
            conn.execute(INSERT_SQL, (check_name(name), digest(token), site_list))
    except psycopg.errors.UniqueViolation:
        raise TokenInvalid(f"a token named {name!r} already exists") from None
    return token


def list_tokens(conn: psycopg.Connection) -> list[tuple[ApiToken, str]]:
    """Every token with its creation time (ISO), by name."""
    with conn.cursor(row_factory=dict_row) as cur:
        rows = cur.execute(ALL_SQL).fetchall()
    return [(_from_row(row), row["created_at"].isoformat(timespec="seconds")) for row in rows]


def remove_token(conn: psycopg.Connection, name: str) -> None:
    """Delete the token `name`: the API refuses it at once (within `CACHE_SECONDS`)."""
    with conn.transaction():
        if conn.execute(DELETE_SQL, (name,)).rowcount == 0:
            raise TokenNotFound(f"no API token named {name!r}")


def find_token(conn: psycopg.Connection, token: str) -> ApiToken | None:
    """The token whose secret is `token`, if any."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(BY_HASH_SQL, (digest(token),)).fetchone()
    return None if row is None else _from_row(row)


def _from_row(row: dict[str, object]) -> ApiToken:
    sites = row["sites"]
    return ApiToken(str(row["name"]), None if sites is None else tuple(sites))  # type: ignore[arg-type]


class TokenBook:
    """The tokens of the warehouse at `url` (the read-only role's URL), briefly cached.

    Every API request asks whose token it carries; a two-second cache keeps that off the
    database without letting a removed token keep working for long.
    """

    def __init__(self, url: str) -> None:
        self._pool = ConnectionPool(
            url,
            min_size=0,
            max_size=2,
            open=False,
            timeout=5.0,
            name="dashboard-api-tokens",
            kwargs={
                "autocommit": True,
                "connect_timeout": 5,
                "options": "-c default_transaction_read_only=on -c statement_timeout=5000",
            },
        )
        self._opened = False
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[float, ApiToken | None]] = {}

    def token(self, secret: str) -> ApiToken | None:
        """The token `secret` belongs to (None when unknown); raises `psycopg.Error`."""
        key = digest(secret)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        with self._lock:
            if not self._opened:
                self._pool.open(wait=False)
                self._opened = True
        with self._pool.connection() as conn:
            found = find_token(conn, secret)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache.clear()  # random guesses must not grow it without end
        self._cache[key] = (now, found)
        return found

    def close(self) -> None:
        """Close the pooled connections."""
        with self._lock:
            if self._opened:
                self._pool.close()
                self._opened = False
