"""One-time sign-in links: `/auth/link/<secret>` signs its account in once, then never again.

Only the SHA-256 of the secret is stored. Using a link is one conditional UPDATE, so two
browsers racing for the same link cannot both win; the dashboard role may update nothing
but `used_at`.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import psycopg

CREATE_SQL = """
INSERT INTO dashboard_sign_in_links (token_hash, user_id, expires_at)
VALUES (%s, %s, now() + %s)
"""
USE_SQL = """
UPDATE dashboard_sign_in_links SET used_at = now()
WHERE token_hash = %s AND used_at IS NULL AND expires_at > now()
RETURNING user_id
"""
STATE_SQL = "SELECT used_at IS NOT NULL FROM dashboard_sign_in_links WHERE token_hash = %s"
LINK_PATH = "/auth/link/"


@dataclass(frozen=True)
class LinkUsed:
    """The link signed `user_id` in, just now."""

    user_id: int


@dataclass(frozen=True)
class LinkRefused:
    """The link cannot sign anyone in; `reason` says why."""

    reason: Literal["used", "expired or unknown"]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_link(conn: psycopg.Connection, user_id: int, lifetime: timedelta) -> str:
    """A new link's secret for `user_id`, valid for `lifetime` (keep it: only its hash is kept)."""
    secret = secrets.token_urlsafe(32)
    with conn.transaction():
        conn.execute(CREATE_SQL, (_digest(secret), user_id, lifetime))
    return secret


def link_url(base_url: str, secret: str) -> str:
    """The address to open: the dashboard's `base_url` and the link's path."""
    return base_url.rstrip("/") + LINK_PATH + secret


def use_link(conn: psycopg.Connection, secret: str) -> LinkUsed | LinkRefused:
    """Spend the link: its account the first time, a refusal saying why every other time."""
    digest = _digest(secret)
    with conn.transaction():
        # The dashboard's pool reads only; this one transaction writes.
        conn.execute("SET TRANSACTION READ WRITE")
        row = conn.execute(USE_SQL, (digest,)).fetchone()
        if row is not None:
            return LinkUsed(int(row[0]))
        state = conn.execute(STATE_SQL, (digest,)).fetchone()
    return LinkRefused("used" if state is not None and state[0] else "expired or unknown")
