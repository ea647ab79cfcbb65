"""CORS for an allow-list of exact origins: the origin is echoed, never `*`, preflights answered."""

from __future__ import annotations

from collections.abc import Callable

from clickstream.ingest.http.asgi import ASGIApp, Message, Receive, Scope, Send, header
from clickstream.ingest.http.metrics import IngestMetrics
from clickstream.ingest.http.sampled_log import sampled

_ALLOW_METHODS = b"POST, OPTIONS"
_ALLOW_HEADERS = b"authorization, content-type, content-encoding, x-request-id, x-write-key"
_EXPOSE_HEADERS = b"retry-after, x-request-id"
_CREDENTIALS = (b"access-control-allow-credentials", b"true")


def parse_origins(text: str) -> frozenset[str]:
    """Comma-separated origins such as `https://shop.example`, without trailing slashes."""
    return frozenset(o.strip().rstrip("/") for o in text.split(",") if o.strip())


class CORSMiddleware:
    """Adds CORS headers for allowed origins and answers their preflight requests.

    The allow-list is the configured origins plus, with a site registry, every registered
    site's origins as last read. A refused preflight, or a request from an origin not on the
    list, is counted by reason (`clickstream_ingest_cors_refused_requests`) and logged, at
    most once a second a reason: a tracker on an unlisted origin loses its events without any
    other trace.
    """

    def __init__(
        self,
        app: ASGIApp,
        origins: frozenset[str],
        metrics: IngestMetrics | None = None,
        registered: Callable[[], frozenset[str]] | None = None,
        credentialed_paths: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.origins = origins
        self.registered = registered  # the registered sites' origins, read at each request
        # Paths whose clients send `credentials: "include"` (the AWS Clickstream SDK does):
        # they get `Access-Control-Allow-Credentials: true`; the ingest reads no cookies.
        self.credentialed_paths = credentialed_paths
        self.metrics = metrics or IngestMetrics()
        self.refusals = sampled("clickstream.ingest.cors")

    def _refused(self, reason: str, origin: str, path: str) -> None:
        self.metrics.cors_refuse(reason)
        self.refusals.info(
            reason, "cors_origin_refused", reason=reason, origin=origin[:200], path=path[:200]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = header(scope, b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = origin in self.origins or (
            self.registered is not None and origin in self.registered()
        )
        preflight = scope["method"] == "OPTIONS" and header(scope, b"access-control-request-method")
        if preflight:
            if not allowed:
                self._refused("preflight_origin_not_allowed", origin, scope["path"])
            credentials = scope["path"] in self.credentialed_paths
            await self._preflight(send, origin if allowed else None, credentials)
            return
        if not allowed:
            self._refused("origin_not_allowed", origin, scope["path"])
            await self.app(scope, receive, send)
            return
        echo = origin.encode("latin-1")
        extra = [_CREDENTIALS] if scope["path"] in self.credentialed_paths else []

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"access-control-allow-origin", echo),
                    (b"access-control-expose-headers", _EXPOSE_HEADERS),
                    (b"vary", b"Origin"),
                    *extra,
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, send: Send, origin: str | None, credentials: bool = False) -> None:
        headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
        if origin is not None:
            headers += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", _ALLOW_METHODS),
                (b"access-control-allow-headers", _ALLOW_HEADERS),
                (b"access-control-max-age", b"600"),
            ]
            if credentials:
                headers.append(_CREDENTIALS)
        status = 204 if origin is not None else 403
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
