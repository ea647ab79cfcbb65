"""The first start's admin: created once, announced with a one-time sign-in link."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from clickstream.dashboard.signin.accounts import add_user, has_admin
from clickstream.dashboard.signin.links import create_link, link_url

FIRST_ADMIN = "admin"


def ensure_first_admin(url: str, base_url: str, lifetime: timedelta) -> str | None:
    """With no admin yet, create `admin` (no password) and return a one-time sign-in link.

    Returns None when an admin exists: later starts print no link (`clickstream users reset
    LOGIN --link` makes a new one). `url` is the warehouse owner's or a superuser's.
    """
    # One creator even when two starts race: the advisory lock serialises them.
    with psycopg.connect(url, autocommit=True) as conn, conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (0x636C6B91,))
        if has_admin(conn):
            return None
        user = add_user(conn, FIRST_ADMIN, role="admin")
        secret = create_link(conn, user.user_id, lifetime)
    return link_url(base_url, secret)
