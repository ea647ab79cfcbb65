"""Which PostgreSQL each part talks to: the configured URL, or the embedded server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from clickstream.runtime.postgres import EmbeddedPostgres
from clickstream.settings import CommonSettings


@dataclass(frozen=True)
class DatabaseUrls:
    """Connection URLs for the warehouse and the shop database."""

    warehouse: str
    shop: str


def embedded_server(settings: CommonSettings) -> EmbeddedPostgres:
    """The embedded PostgreSQL whose data lives under the data directory."""
    return EmbeddedPostgres(settings.data_dir, port=settings.embedded_pg_port)


def needs_embedded(settings: CommonSettings) -> bool:
    """Whether some database has no URL and so lives on the embedded server."""
    return settings.warehouse_url is None or settings.shop_db_url is None


@contextmanager
def database_urls(settings: CommonSettings, keep_running: bool = False) -> Iterator[DatabaseUrls]:
    """Yield the database URLs, starting the embedded server when a URL is unset.

    A server this call started is stopped on exit unless `keep_running`; one that was already
    running (under `clickstream up`, say) is left alone.
    """
    server, started = None, False
    embedded = embedded_server(settings)
    if needs_embedded(settings):
        server, started = embedded.start()
    try:
        yield DatabaseUrls(
            warehouse=settings.warehouse_url.get_secret_value()
            if settings.warehouse_url
            else server.url("warehouse"),  # type: ignore[union-attr]
            shop=settings.shop_db_url.get_secret_value()
            if settings.shop_db_url
            else server.url("shop"),  # type: ignore[union-attr]
        )
    finally:
        if started and not keep_running:
            embedded.stop()
