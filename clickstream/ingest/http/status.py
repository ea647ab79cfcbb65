"""Everything but the hot path, on Starlette: health, readiness, metrics, live counters and
OpenAPI."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clickstream import utc
from clickstream.ingest.http.client_ip import is_in, parse_networks
from clickstream.ingest.http.openapi import openapi_document
from clickstream.ingest.live import WINDOW_MINUTES
from clickstream.ingest.service import IngestService

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"


def status_app(service: IngestService) -> Starlette:
    """The Starlette app serving the operational endpoints, owning the service's life cycle."""
    document = openapi_document()
    metrics_networks = parse_networks(service.settings.ingest_metrics_networks)

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        readiness = await service.ready()
        return JSONResponse(
            {"status": "ready" if readiness.ready else "not_ready", "checks": readiness.checks()},
            status_code=200 if readiness.ready else 503,
        )

    def private(request: Request) -> bool:
        # The collector is public; its metrics are not (the peer address, never X-Forwarded-For).
        peer = request.client.host if request.client else None
        return peer is not None and is_in(peer, metrics_networks)

    async def metrics(request: Request) -> Response:
        if not private(request):
            return JSONResponse({"error": "not_found", "detail": "no such page"}, status_code=404)
        return Response(service.metrics_text(), media_type=PROMETHEUS_TEXT)

    async def live(request: Request) -> Response:
        if not private(request):
            return JSONResponse({"error": "not_found", "detail": "no such page"}, status_code=404)
        cells = service.live_cells()
        if cells is None:
            detail = "live counters are off (CLICKSTREAM_INGEST_LIVE=false)"
            return JSONResponse({"error": "not_found", "detail": detail}, status_code=404)
        body = {
            "node": service.node,
            "generated_at": utc.rfc3339(utc.now()),
            "window_minutes": WINDOW_MINUTES,
            "provisional": True,
            "cells": cells,
        }
        return JSONResponse(body, headers={"cache-control": "no-store"})

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
            Route("/live", live),
            Route("/openapi.json", openapi),
        ],
        lifespan=lifespan,
    )
