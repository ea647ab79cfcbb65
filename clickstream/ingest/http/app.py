"""The one place the ingest ASGI app is assembled: the service, the endpoint, status, CORS and
the tracker file.

`POST /clickstream` is a plain ASGI callable (the hot path); every other path goes to the
Starlette status app, whose lifespan starts and stops the service.
"""

from __future__ import annotations

from pathlib import Path

from clickstream.ingest.configuration import IngestSettings
from clickstream.ingest.http.asgi import ASGIApp
from clickstream.ingest.http.cors import CORSMiddleware, parse_origins
from clickstream.ingest.http.endpoint import AWS_SDK_PATH, COLLECT_PATH, CollectEndpoint
from clickstream.ingest.http.status import status_app
from clickstream.ingest.http.tracker_file import TrackerRoutes
from clickstream.ingest.service import IngestService
from clickstream.lake import LakeStore

__all__ = ["COLLECT_PATH", "build_app", "build_service"]


def build_service(
    settings: IngestSettings, lake: LakeStore | None = None, metrics_folder: Path | None = None
) -> IngestService:
    """The process's ingest parts, not yet started (`metrics_folder`: see `shared_metrics`)."""
    return IngestService(settings, lake, metrics_folder)


def build_app(settings: IngestSettings, service: IngestService | None = None) -> ASGIApp:
    """The ingest ASGI application for `settings`; its lifespan starts and stops the service."""
    service = service or build_service(settings)
    app: ASGIApp = CollectEndpoint(service, status_app(service))
    origins = parse_origins(settings.ingest_cors_origins)
    if origins or service.sites is not None:
        registered = service.cors_origins if service.sites is not None else None
        app = CORSMiddleware(
            app, origins, service.metrics, registered, credentialed_paths=frozenset({AWS_SDK_PATH})
        )
    return TrackerRoutes(app)
