"""`clickstream ingest serve`."""

from __future__ import annotations

import click

from clickstream.cli.common import resolve_settings
from clickstream.ingest.configuration import IngestSettings


@click.group()
def ingest() -> None:
    """The ingest API (POST /clickstream)."""


@ingest.command("serve")
@click.option("--host", default=None, help="Listen address (CLICKSTREAM_INGEST_HOST).")
@click.option("--port", type=int, default=None, help="Listen port (CLICKSTREAM_INGEST_PORT).")
def ingest_serve(host: str | None, port: int | None) -> None:
    """Serve POST /clickstream, writing enriched events to the lake.

    Example: clickstream ingest serve --port 8080
    """
    import uvicorn

    from clickstream.ingest.http.app import build_app

    settings = resolve_settings(IngestSettings, "ingest", ingest_host=host, ingest_port=port)
    uvicorn.run(
        build_app(settings),
        host=settings.ingest_host,
        port=settings.ingest_port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=10,
        proxy_headers=False,  # the app judges X-Forwarded-For (CLICKSTREAM_INGEST_TRUSTED_PROXIES)
    )
