"""`clickstream ingest serve`."""

from __future__ import annotations

import click

from clickstream.cli.common import listen_options, resolve_settings, serve
from clickstream.ingest.configuration import IngestSettings


@click.group()
def ingest() -> None:
    """The ingest API (POST /clickstream)."""


@ingest.command("serve")
@listen_options("INGEST")
def ingest_serve(host: str | None, port: int | None) -> None:
    """Serve POST /clickstream, writing enriched events to the lake.

    Example: clickstream ingest serve --port 8080
    """
    from clickstream.ingest.http.app import build_app

    settings = resolve_settings(IngestSettings, "ingest", ingest_host=host, ingest_port=port)
    serve(
        build_app(settings),
        settings.ingest_host,
        settings.ingest_port,
        grace_seconds=10,
        proxy_headers=False,  # the app judges X-Forwarded-For (CLICKSTREAM_INGEST_TRUSTED_PROXIES)
    )
