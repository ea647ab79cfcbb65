"""The ingest ASGI app: a plain callable on the hot `POST /clickstream` path, Starlette else."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import timedelta
from typing import Any

import structlog
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clickstream import jsonio, utc
from clickstream.events.record import Receipt, SkewWindow
from clickstream.ingest.collector import Collector, InvalidPayload
from clickstream.lake import open_lake
from clickstream.settings import IngestSettings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

COLLECT_PATH = "/clickstream"
log = structlog.get_logger("clickstream.ingest")


class BodyTooLarge(Exception):
    """The request body passed the configured limit."""


async def _send_json(send: Send, status: int, payload: Any) -> None:
    body = jsonio.dumps(payload)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("client went away")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


class CollectEndpoint:
    """`POST /clickstream`: 202 with the event ids once the lake object is durable."""

    def __init__(self, collector: Collector, max_body_bytes: int, fallback: ASGIApp) -> None:
        self.collector = collector
        self.max_body_bytes = max_body_bytes
        self.fallback = fallback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != COLLECT_PATH:
            await self.fallback(scope, receive, send)
            return
        if scope["method"] != "POST":
            await _send_json(send, 405, {"error": "method_not_allowed", "detail": "use POST"})
            return
        request_id = secrets.token_hex(8)
        try:
            body = await _read_body(receive, self.max_body_bytes)
        except BodyTooLarge:
            detail = f"the body is larger than {self.max_body_bytes} bytes"
            await _send_json(send, 413, {"error": "payload_too_large", "detail": detail})
            return
        except ConnectionAbortedError:
            return
        client = scope.get("client")
        receipt = Receipt(
            received_at=utc.now(),
            request_id=request_id,
            node_id=self.collector.node_id,
            client_ip=client[0] if client else None,
            user_agent=(_header(scope, b"user-agent") or "")[:512] or None,
        )
        try:
            accepted = await asyncio.to_thread(self.collector.collect, body, receipt)
        except InvalidPayload as exc:
            await _send_json(send, 400, {"error": "invalid_payload", "detail": str(exc)})
            return
        except OSError as exc:
            log.error("lake_write_failed", error=type(exc).__name__, request_id=request_id)
            await _send_json(
                send, 503, {"error": "storage_unavailable", "detail": "events were not stored"}
            )
            return
        await _send_json(
            send,
            202,
            {"accepted": len(accepted.event_ids), "event_ids": accepted.event_ids},
        )


async def healthz(request: Request) -> JSONResponse:
    """Liveness: the process answers."""
    return JSONResponse({"status": "ok"})


def build_app(settings: IngestSettings) -> ASGIApp:
    """The ingest ASGI application for `settings`."""
    lake = open_lake(settings.lake_location)
    skew = SkewWindow(
        past=timedelta(seconds=settings.ingest_max_past_skew_seconds),
        future=timedelta(seconds=settings.ingest_max_future_skew_seconds),
    )
    node = f"{settings.node_id}-{os.getpid()}"
    collector = Collector(lake, node_id=node, skew=skew)
    others = Starlette(routes=[Route("/healthz", healthz)])
    return CollectEndpoint(collector, settings.ingest_max_body_bytes, others)
