"""Everything but the hot path, on Starlette: health, readiness, metrics and OpenAPI."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clickstream.ingest.client_ip import is_in, parse_networks
from clickstream.ingest.openapi import openapi_document
from clickstream.ingest.service import IngestService

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def _spool_writable(service: IngestService) -> bool:
    probe = service.spool.directory / f".ready-{uuid.uuid4().hex}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
        probe.unlink()
    except OSError:
        return False
    return True


def _lake_reachable(service: IngestService) -> bool:
    if not service.shipper.lake_ok:  # the last attempt to ship failed
        return False
    try:
        for _ in service.lake.list("events/0000/"):
            break
    except OSError:
        return False
    return True


def ops_app(service: IngestService) -> Starlette:
    """The Starlette app serving the operational endpoints, owning the service's life cycle."""
    document = openapi_document()
    metrics_networks = parse_networks(service.settings.ingest_metrics_networks)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        spool_ok = await asyncio.to_thread(_spool_writable, service)
        try:
            lake_ok = await asyncio.wait_for(asyncio.to_thread(_lake_reachable, service), 5)
        except TimeoutError:
            lake_ok = False
        spool_room = service.spool.usage < service.spool.max_bytes
        ready = spool_ok and lake_ok and spool_room and service.started
        checks = {"spool_writable": spool_ok, "spool_has_room": spool_room, "lake": lake_ok}
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
        )

    async def metrics(request: Request) -> Response:
        # The collector is public; its metrics are not (the peer address, never X-Forwarded-For).
        peer = request.client.host if request.client else None
        if peer is None or not is_in(peer, metrics_networks):
            return JSONResponse({"error": "not_found", "detail": "no such page"}, status_code=404)
        text = service.metrics.render(
            float(service.spool.usage), service.shipper.lag_seconds(), service.shipper.failures
        )
        return Response(text, media_type=PROMETHEUS_TEXT)

    async def openapi(request: Request) -> JSONResponse:
        return JSONResponse(document)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.astart()
        try:
            yield
        finally:
            await service.astop()

    return Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics),
            Route("/openapi.json", openapi),
        ],
        lifespan=lifespan,
    )
