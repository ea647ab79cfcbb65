"""A small pool of read-only warehouse connections and the one way pages run their queries."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import structlog
from psycopg.rows import dict_row
from psycopg_pool import ConnectionPool

from clickstream.dashboard.configuration import DashboardSettings
from clickstream.dashboard.queries import statement

log = structlog.get_logger("clickstream.dashboard")
Row = dict[str, Any]


class WarehouseUnavailable(RuntimeError):
    """The warehouse could not answer (unreachable, not migrated, or too slow)."""


@dataclass(frozen=True)
class PoolOptions:
    """How many connections, and how long a query or a wait for a connection may take."""

    max_size: int
    statement_timeout_ms: int
    connect_timeout_s: float = 5.0

    @classmethod
    def from_settings(cls, settings: DashboardSettings) -> PoolOptions:
        """The options `settings` describe."""
        return cls(
            max_size=settings.dashboard_pool_size,
            statement_timeout_ms=int(settings.dashboard_statement_timeout_seconds * 1000),
        )


class Warehouse:
    """Read-only access to the warehouse at `url` through a lazily opened connection pool."""

    def __init__(self, url: str, options: PoolOptions | None = None) -> None:
        # No options: the settings' defaults (model_construct reads no environment).
        self.options = options or PoolOptions.from_settings(DashboardSettings.model_construct())
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=max(1, self.options.max_size),
            open=False,
            timeout=self.options.connect_timeout_s,
            name="dashboard",
            kwargs={
                "autocommit": True,
                # Plan each query for its own parameters: a generic plan cannot use the
                # index for "login state is X" or "bots excluded".
                "prepare_threshold": None,
                "connect_timeout": max(1, int(self.options.connect_timeout_s)),
                # UTC everywhere: date bounds become midnight UTC; read-only as a second fence;
                # no JIT: compiling costs more than these short aggregates take to run.
                # work_mem: a month of distinct visitors (~400k hashes at 10M events) sorts in RAM.
                "options": "-c timezone=UTC -c default_transaction_read_only=on -c jit=off "
                "-c work_mem=32MB "
                f"-c statement_timeout={int(self.options.statement_timeout_ms)}",
            },
        )
        self._opened = False
        self._lock = threading.Lock()

    def _ensure_open(self) -> None:
        with self._lock:
            if not self._opened:
                self._pool.open(wait=False)
                self._opened = True

    def rows(self, page: str, name: str, params: Mapping[str, object]) -> list[Row]:
        """Run the statement `name` of `page` with `params`; rows as dicts."""
        query = statement(page, name)
        self._ensure_open()
        started = time.perf_counter()
        try:
            with self._pool.connection() as conn, conn.cursor(row_factory=dict_row) as cur:
                cur.execute(query, dict(params))  # type: ignore[call-overload]
                found = cur.fetchall()
        except (psycopg.Error, TimeoutError) as exc:
            log.warning("dashboard_query_failed", page=page, query=name, error=str(exc))
            raise WarehouseUnavailable(_reason(exc)) from exc
        log.debug(
            "dashboard_query",
            page=page,
            query=name,
            ms=round(1000 * (time.perf_counter() - started)),
        )
        return found

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection (autocommit, read-only by default) for the dashboard's few
        writes, each a transaction that starts with `SET TRANSACTION READ WRITE`."""
        self._ensure_open()
        with self._pool.connection() as conn:
            yield conn

    def close(self) -> None:
        """Close every pooled connection."""
        with self._lock:
            if self._opened:
                self._pool.close()
                self._opened = False


def _reason(exc: BaseException) -> str:
    if isinstance(exc, psycopg.errors.UndefinedTable):
        return "the warehouse is not migrated yet (run `clickstream db migrate`)"
    if isinstance(exc, psycopg.errors.QueryCanceled):
        return "the warehouse took too long to answer"
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return "the dashboard role may not read this table"
    return "the warehouse is not reachable right now"
