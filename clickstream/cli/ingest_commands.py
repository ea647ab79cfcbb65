"""`clickstream ingest serve`."""

from __future__ import annotations

import contextlib
import ctypes
import signal
import sys
from typing import Any

import click

from clickstream.cli.common import listen_options, resolve_settings, serve
from clickstream.ingest.configuration import IngestSettings, worker_count

PR_SET_PDEATHSIG = 1
METRICS_FOLDER = ".metrics"  # inside the spool folder the workers share


@click.group()
def ingest() -> None:
    """The ingest API (POST /clickstream)."""


@ingest.command("serve")
@listen_options("INGEST")
@click.option(
    "--workers",
    type=click.IntRange(min=0, max=256),
    default=None,
    help="Ingest processes on the one port, sharing one spool folder; 0 means one per core "
    "(CLICKSTREAM_INGEST_WORKERS, default 0).",
)
def ingest_serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve POST /clickstream, writing enriched events to the lake.

    Example: clickstream ingest serve --port 8080 --workers 2
    """
    from clickstream.ingest.http.app import build_app
    from clickstream.ingest.http.shared_metrics import reset

    settings = resolve_settings(
        IngestSettings, "ingest", ingest_host=host, ingest_port=port, ingest_workers=workers
    )
    count = worker_count(settings.ingest_workers)
    options: dict[str, Any] = {
        "grace_seconds": 10,
        # the app judges X-Forwarded-For (CLICKSTREAM_INGEST_TRUSTED_PROXIES)
        "proxy_headers": False,
    }
    if count == 1:
        serve(build_app(settings), settings.ingest_host, settings.ingest_port, **options)
        return
    # uvicorn's supervisor binds the port once, starts `count` processes that each build the
    # app from the environment (`worker_app`), and starts a new one when one dies
    reset(settings.ingest_spool_location / METRICS_FOLDER)
    serve(
        f"{__name__}:worker_app",
        settings.ingest_host,
        settings.ingest_port,
        workers=count,
        factory=True,
        **options,
    )


def worker_app() -> Any:
    """The app of one of several ingest processes, built from the environment in that process."""
    from clickstream.ingest.http.app import build_app, build_service

    _end_with_parent()
    settings = resolve_settings(IngestSettings, "ingest")
    folder = settings.ingest_spool_location / METRICS_FOLDER
    return build_app(settings, build_service(settings, metrics_folder=folder))


def _end_with_parent() -> None:
    """Ask Linux to send this worker SIGTERM (a graceful stop) when its parent dies, even by
    SIGKILL, so no orphan keeps the port; elsewhere a no-op."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
