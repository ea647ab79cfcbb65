"""The dashboard's own view of its accounts: read through the read-only role, briefly cached.

Every request asks who its session belongs to; a two-second cache keeps that off the
database without letting a removed or reset account keep working for long.
"""

from __future__ import annotations

import threading
import time

from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from clickstream.dashboard.signin.accounts import (
    BY_ID_SQL,
    DashboardUser,
    find_user,
    from_row,
    list_users,
)
from clickstream.dashboard.signin.links import LinkRefused, LinkUsed, use_link

CACHE_SECONDS = 2.0


class Directory:
    """Accounts and sign-in links of the warehouse at `url` (the dashboard role's URL)."""

    def __init__(self, url: str) -> None:
        self._pool = ConnectionPool(
            url,
            min_size=0,
            max_size=2,
            open=False,
            timeout=5.0,
            name="dashboard-signin",
            kwargs={
                "autocommit": True,
                "connect_timeout": 5,
                "options": "-c timezone=UTC -c default_transaction_read_only=on "
                "-c statement_timeout=5000",
            },
        )
        self._opened = False
        self._lock = threading.Lock()
        self._cache: dict[int, tuple[float, DashboardUser | None]] = {}

    def _pool_open(self) -> ConnectionPool:
        with self._lock:
            if not self._opened:
                self._pool.open(wait=False)
                self._opened = True
        return self._pool

    def user(self, user_id: int) -> DashboardUser | None:
        """The account `user_id`, at most `CACHE_SECONDS` old."""
        now = time.monotonic()
        cached = self._cache.get(user_id)
        if cached is not None and now - cached[0] < CACHE_SECONDS:
            return cached[1]
        with self._pool_open().connection() as conn, conn.cursor(row_factory=dict_row) as cur:
            row = cur.execute(BY_ID_SQL, (user_id,)).fetchone()
        found = None if row is None else from_row(row)
        if len(self._cache) > 1000:
            self._cache.clear()
        self._cache[user_id] = (now, found)
        return found

    def by_login(self, login: str) -> DashboardUser | None:
        """The account named `login`, read now."""
        with self._pool_open().connection() as conn:
            return find_user(conn, login)

    def all_users(self) -> list[DashboardUser]:
        """Every account, by login."""
        with self._pool_open().connection() as conn:
            return list_users(conn)

    def use_link(self, secret: str) -> LinkUsed | LinkRefused:
        """Spend a one-time link (the dashboard's one write)."""
        with self._pool_open().connection() as conn:
            return use_link(conn, secret)

    def close(self) -> None:
        """Close the pooled connections."""
        with self._lock:
            if self._opened:
                self._pool.close()
                self._opened = False
