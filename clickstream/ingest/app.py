"""The ingest ASGI app: CORS around a plain callable on `POST /clickstream`, Starlette else."""

from __future__ import annotations

from clickstream.ingest.asgi import ASGIApp
from clickstream.ingest.cors import CORSMiddleware, parse_origins
from clickstream.ingest.endpoint import COLLECT_PATH, CollectEndpoint
from clickstream.ingest.routes import ops_app
from clickstream.ingest.service import IngestService
from clickstream.lake import LakeStore
from clickstream.settings import IngestSettings

__all__ = ["COLLECT_PATH", "build_app", "build_service"]


def build_service(settings: IngestSettings, lake: LakeStore | None = None) -> IngestService:
    """The process's ingest parts, not yet started."""
    return IngestService(settings, lake)


def build_app(settings: IngestSettings, service: IngestService | None = None) -> ASGIApp:
    """The ingest ASGI application for `settings`; its lifespan starts and stops the service."""
    service = service or build_service(settings)
    app: ASGIApp = CollectEndpoint(service, ops_app(service))
    origins = parse_origins(settings.ingest_cors_origins)
    if origins:
        app = CORSMiddleware(app, origins)
    return app
