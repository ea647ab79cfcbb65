"""CORS for an allow-list of exact origins: the origin is echoed, never `*`, preflights answered."""

from __future__ import annotations

from clickstream.ingest.asgi import ASGIApp, Message, Receive, Scope, Send, header

_ALLOW_METHODS = b"POST, OPTIONS"
_ALLOW_HEADERS = b"authorization, content-type, content-encoding, x-request-id"
_EXPOSE_HEADERS = b"retry-after, x-request-id"


def parse_origins(text: str) -> frozenset[str]:
    """Comma-separated origins such as `https://shop.example`, without trailing slashes."""
    return frozenset(o.strip().rstrip("/") for o in text.split(",") if o.strip())


class CORSMiddleware:
    """Adds CORS headers for allowed origins and answers their preflight requests."""

    def __init__(self, app: ASGIApp, origins: frozenset[str]) -> None:
        self.app = app
        self.origins = origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = header(scope, b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        allowed = origin in self.origins
        preflight = scope["method"] == "OPTIONS" and header(scope, b"access-control-request-method")
        if preflight:
            await self._preflight(send, origin if allowed else None)
            return
        if not allowed:
            await self.app(scope, receive, send)
            return
        echo = origin.encode("latin-1")

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"access-control-allow-origin", echo),
                    (b"access-control-expose-headers", _EXPOSE_HEADERS),
                    (b"vary", b"Origin"),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)

    async def _preflight(self, send: Send, origin: str | None) -> None:
        headers = [(b"vary", b"Origin"), (b"content-length", b"0")]
        if origin is not None:
            headers += [
                (b"access-control-allow-origin", origin.encode("latin-1")),
                (b"access-control-allow-methods", _ALLOW_METHODS),
                (b"access-control-allow-headers", _ALLOW_HEADERS),
                (b"access-control-max-age", b"600"),
            ]
        status = 204 if origin is not None else 403
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
