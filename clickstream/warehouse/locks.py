"""The ETL's advisory lock: one writer of loaded and derived rows at a time per warehouse.

ETL runs, backfills, rebuilds and erasures all take it, so none of them sees another's
half-done work and a lake object is never rewritten while a run loads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

ETL_LOCK_KEY = 0x636C6B02  # one advisory lock for every ETL on this warehouse


class WarehouseUnreachable(RuntimeError):
    """No connection to the warehouse could be made; nothing was recorded."""


@contextmanager
def etl_lock(warehouse_url: str) -> Iterator[psycopg.Connection | None]:
    """An autocommit connection holding the ETL advisory lock, or None when another holds it."""
    try:
        conn = psycopg.connect(warehouse_url, autocommit=True, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise WarehouseUnreachable(f"warehouse unreachable: {exc}".strip()) from exc
    with conn:
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (ETL_LOCK_KEY,)).fetchone()
        if not got or not got[0]:
            yield None
            return
        try:
            yield conn
        finally:
            if not conn.closed:
                conn.execute("SELECT pg_advisory_unlock(%s)", (ETL_LOCK_KEY,))
