"""Which PostgreSQL each part talks to, and as which role: configured URLs or embedded."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg

from clickstream.runtime.postgres import EmbeddedPostgres, RunningServer
from clickstream.settings import CommonSettings
from clickstream.warehouse.roles import (
    DASHBOARD_ROLE,
    ETL_ROLE,
    SHOP_READER_ROLE,
    SHOP_ROLE,
    ensure_roles,
    ensure_shop_database,
    restrict_shop_database,
)


@dataclass(frozen=True)
class DatabaseUrls:
    """Connection URLs per part: who migrates, who writes, who reads, and the shop."""

    admin: str
    etl: str
    dashboard: str
    shop: str
    # The shop database as the role that may only read its orders (orders against events);
    # empty where the shop database is not the embedded server's.
    shop_reader: str = ""


def embedded_server(settings: CommonSettings) -> EmbeddedPostgres:
    """The embedded PostgreSQL whose data lives under the data directory."""
    return EmbeddedPostgres(settings.data_dir, port=settings.embedded_pg_port)


def needs_embedded(settings: CommonSettings, shop: bool = True, warehouse: bool = True) -> bool:
    """Whether a database the caller needs has no URL and so lives on the embedded server."""
    return (warehouse and settings.warehouse_url is None) or (shop and settings.shop_db_url is None)


def _provision(server: RunningServer) -> None:
    """Roles and database ownership on the embedded server (idempotent)."""
    with psycopg.connect(server.url("warehouse"), autocommit=True) as conn:
        ensure_roles(conn)
    with psycopg.connect(server.url("shop"), autocommit=True) as conn:
        ensure_shop_database(conn)


def secure_shop_database(url: str) -> bool:
    """Close the shop database at `url` to every role but the shop's; False when not allowed."""
    with psycopg.connect(url, autocommit=True) as conn:
        return restrict_shop_database(conn)


def _resolve(settings: CommonSettings, server: RunningServer | None) -> DatabaseUrls:
    def secret(value: object) -> str | None:
        return value.get_secret_value() if value is not None else None  # type: ignore[attr-defined]

    warehouse = secret(settings.warehouse_url)
    dashboard = secret(getattr(settings, "dashboard_db_url", None))
    shop = secret(settings.shop_db_url)
    if server is not None:
        warehouse_admin = warehouse or server.url("warehouse")
        return DatabaseUrls(
            admin=warehouse_admin,
            etl=warehouse or server.url("warehouse", ETL_ROLE),
            dashboard=dashboard or (warehouse or server.url("warehouse", DASHBOARD_ROLE)),
            shop=shop or server.url("shop", SHOP_ROLE),
            shop_reader="" if shop else server.url("shop", SHOP_READER_ROLE),
        )
    return DatabaseUrls(
        admin=warehouse or "",
        etl=warehouse or "",
        dashboard=dashboard or warehouse or "",
        shop=shop or "",
    )


@contextmanager
def database_urls(
    settings: CommonSettings, keep_running: bool = False, shop: bool = True, warehouse: bool = True
) -> Iterator[DatabaseUrls]:
    """Yield the database URLs, starting the embedded server when a needed URL is unset.

    `shop=False` says the caller does not need the shop database (the ETL, the dashboard);
    `warehouse=False` that it does not need the warehouse (the shop). A URL the caller does not
    need and nobody set is empty.

    A server this call started is stopped on exit unless `keep_running`; one that was already
    running (under `clickstream up`, say) is left alone.
    """
    server, started = None, False
    embedded = embedded_server(settings)
    if needs_embedded(settings, shop=shop, warehouse=warehouse):
        server, started = embedded.start()
        if started:
            _provision(server)
    try:
        yield _resolve(settings, server)
    finally:
        if started and not keep_running:
            embedded.stop()
