"""`POST /clickstream` as a plain ASGI callable: the hot path, with no framework in the way.

Order of checks, cheapest first: method, rate limit, content type and encoding, declared
length, token, body (bounded while reading), spool capacity, then decode, validate and enrich.
The 202 is sent only once the spool has fsynced the batch.
"""

from __future__ import annotations

import asyncio
import math
from os import urandom
from time import perf_counter

import structlog

from clickstream import utc
from clickstream.events.record import Receipt, truncate_ip
from clickstream.events.segment import SEGMENT_PATHS
from clickstream.ingest.auth.verifier import Actor
from clickstream.ingest.core.collector import Batch
from clickstream.ingest.core.errors import (
    ClientGone,
    InternalError,
    MethodNotAllowed,
    RateLimited,
    Rejected,
    StorageUnavailable,
    Unauthorized,
    UnsupportedMediaType,
)
from clickstream.ingest.core.formats import basic_user, from_aws_sdk, from_segment
from clickstream.ingest.core.limits import too_large
from clickstream.ingest.core.sites import PLAIN_ADMISSION, Admission
from clickstream.ingest.durability.spool import SpoolFull
from clickstream.ingest.http.asgi import ASGIApp, Receive, Scope, Send, send_json
from clickstream.ingest.http.client_ip import client_ip
from clickstream.ingest.http.sampled_log import sampled
from clickstream.ingest.service import IngestService

COLLECT_PATH = "/clickstream"
AWS_SDK_PATH = "/collect"  # the AWS Clickstream Analytics ingestion server's default path
_OFFLOAD_BYTES = 64 * 1024  # bodies larger than this are decoded off the event loop
_WANTED = {
    b"content-type",
    b"content-encoding",
    b"content-length",
    b"authorization",
    b"user-agent",
    b"x-forwarded-for",
    b"x-write-key",
}
log = structlog.get_logger("clickstream.ingest")


async def read_body(receive: Receive, limit: int) -> bytes:
    """The request body; raises `PayloadTooLarge` as soon as more than `limit` bytes came."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def accepted_body(event_ids: list[str]) -> bytes:
    """The 202 body, `{"accepted": n, "event_ids": [...]}`, built as text.

    Event ids are UUIDs in their canonical form (hex digits and dashes), so they need no
    JSON escaping; this is the same JSON `jsonio.dumps` writes, without building a dict.
    """
    quoted = '","'.join(event_ids)
    ids = f'["{quoted}"]' if event_ids else "[]"
    return f'{{"accepted":{len(event_ids)},"event_ids":{ids}}}'.encode()


# `navigator.sendBeacon` with a string body can only send text/plain across origins without a
# preflight; the body must still be JSON, parsed exactly as application/json is.
ACCEPTED_MEDIA_TYPES = frozenset({"application/json", "text/plain"})


def admission_of(scope: Scope, write_key: str | None) -> Admission:
    """The request's write key (`X-Write-Key`) and whether it asks for cookieless counting
    (`?cookieless=1`, which a tracker in cookieless mode adds to its endpoint)."""
    query = scope.get("query_string", b"")
    cookieless = b"cookieless=1" in query.split(b"&") if query else False
    if not write_key and not cookieless:
        return PLAIN_ADMISSION
    return Admission(write_key=write_key or None, cookieless=cookieless)


def _media_type(value: str | None) -> str:
    return (value or "").split(";", 1)[0].strip().lower()


class CollectEndpoint:
    """Serves `POST /clickstream`, the Segment HTTP API's paths (`/v1/track`, ...) and the
    AWS Clickstream SDKs' `/collect`; every other path goes to `fallback`."""

    # Every path served here (the OpenAPI document describes each; a test checks it does).
    paths = frozenset({COLLECT_PATH, AWS_SDK_PATH, *SEGMENT_PATHS})

    def __init__(self, service: IngestService, fallback: ASGIApp) -> None:
        self.service = service
        self.fallback = fallback
        self.rejections = sampled("clickstream.ingest")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"] if scope["type"] == "http" else None
        foreign = SEGMENT_PATHS.get(path) if path is not None else None
        if path == AWS_SDK_PATH:
            foreign = "aws"
        if path != COLLECT_PATH and foreign is None:
            await self.fallback(scope, receive, send)
            return
        started = perf_counter()
        request_id = urandom(8).hex()
        headers: dict[bytes, str] = {}
        for key, value in scope["headers"]:
            if key in _WANTED and key not in headers:
                headers[key] = bytes(value).decode("latin-1")
        peer = scope.get("client")
        service = self.service
        if service.trusted_proxies:
            ip = client_ip(
                peer[0] if peer else None, headers.get(b"x-forwarded-for"), service.trusted_proxies
            )
        else:
            ip = peer[0] if peer else None
        body = b""
        try:
            encoding, actor = await self._admit(scope, headers, ip, foreign is not None)
            body = await read_body(receive, service.limits.max_body_bytes)
            accepted = await self._store(
                scope, body, encoding, actor, headers, ip, request_id, foreign
            )
        except Rejected as exc:
            await self._refuse(send, exc, body, request_id, ip)
        except ClientGone:
            return
        except Exception as exc:  # a bug: one JSON line with the traceback, counted as a 5xx
            log.exception("request_failed", error=type(exc).__name__, request_id=request_id)
            failure = InternalError("an unexpected error occurred; nothing was acknowledged")
            await self._refuse(send, failure, b"", request_id, ip)
        else:
            service.metrics.accept(len(accepted))
            reply = accepted_body(accepted)
            await send(
                {
                    "type": "http.response.start",
                    # the AWS SDK takes only a 200 as success (and retries anything else)
                    "status": 200 if foreign == "aws" else 202,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", b"%d" % len(reply)),
                        (b"x-request-id", request_id.encode()),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": reply})
        service.metrics.observe(perf_counter() - started)

    async def _admit(
        self, scope: Scope, headers: dict[bytes, str], ip: str | None, foreign: bool = False
    ) -> tuple[str, Actor | None]:
        """Every check made before the body is read; returns its encoding and the sender."""
        service = self.service
        if scope["method"] != "POST":
            raise MethodNotAllowed("use POST to send events")
        if service.limiter is not None:
            wait = await service.limiter.acquire(ip or "-")
            if wait > 0:
                raise RateLimited("too many requests from this client", math.ceil(wait))
        media_type = headers.get(b"content-type")
        if media_type != "application/json" and _media_type(media_type) not in ACCEPTED_MEDIA_TYPES:
            raise UnsupportedMediaType("send the events as `Content-Type: application/json`")
        encoding = headers.get(b"content-encoding")
        if encoding is not None:
            encoding = encoding.strip().lower()
            if encoding not in ("", "identity", "gzip"):
                raise UnsupportedMediaType("only `Content-Encoding: gzip` (or none) is accepted")
        declared = headers.get(b"content-length")
        limit = service.limits.max_body_bytes
        if declared and declared.isdigit() and int(declared) > limit:
            raise too_large(limit)
        authorization = headers.get(b"authorization")
        if foreign and basic_user(authorization):
            authorization = None  # Segment's write key, checked with the body
        actor = None
        if authorization:  # without one, `authenticate` finds nobody and no problem
            authentication = await service.auth.authenticate(authorization)
            if authentication.problem is not None:
                raise Unauthorized(authentication.problem)
            actor = authentication.actor
        if actor is None and service.auth.mode == "required":
            raise Unauthorized("a bearer token is required")
        return encoding or "", actor

    async def _store(
        self,
        scope: Scope,
        body: bytes,
        encoding: str,
        actor: Actor | None,
        headers: dict[bytes, str],
        ip: str | None,
        request_id: str,
        foreign: str | None = None,
    ) -> list[str]:
        """Check, enrich and durably spool `body`; returns the acknowledged event ids.

        A body in another tracker's format (`foreign`: `aws`, or the Segment message type) is
        first turned into a canonical batch.
        """
        service = self.service
        try:
            service.spool.check_capacity(len(body))
        except SpoolFull:
            raise StorageUnavailable(
                "the spool is full; events were not stored", service.retry_after
            ) from None
        place = service.locator.locate(ip)
        receipt = Receipt(
            received_at=utc.now(),
            request_id=request_id,
            node_id=service.node,
            client_ip=ip,
            user_agent=(headers.get(b"user-agent") or "")[:512] or None,
            user_id=actor.user_id if actor else None,
            identity_source=actor.identity_source if actor else None,
            country=place.country,
            region=place.region,
        )
        query = scope.get("query_string", b"")
        write_key = headers.get(b"x-write-key")
        registry = service.gate.registry() if foreign not in (None, "aws") else None

        def decode_and_prepare() -> Batch:
            admission = admission_of(scope, write_key)
            body_now, encoding_now = body, encoding
            if foreign == "aws":
                body_now, admission = from_aws_sdk(body, query, service.limits, encoding, write_key)
                encoding_now = ""
            elif foreign is not None:
                assert registry is not None
                body_now, admission = from_segment(
                    body,
                    foreign,
                    headers.get(b"authorization"),
                    registry,
                    service.limits,
                    encoding,
                    service.retry_after,
                )
                encoding_now = ""
            return service.collector.prepare(body_now, receipt, encoding_now, admission)

        # gunzip and JSON work over a gzip or big body runs in one worker-thread hop, not on
        # the event loop
        offload = encoding == "gzip" or len(body) > _OFFLOAD_BYTES
        batch = await asyncio.to_thread(decode_and_prepare) if offload else decode_and_prepare()
        ship_now = service.settings.ingest_ship_before_ack
        try:
            await service.spool.append(batch.lines, receipt.received_at, close_after=ship_now)
        except OSError as exc:
            log.error("spool_append_failed", error=type(exc).__name__, request_id=request_id)
            raise StorageUnavailable(
                "events could not be stored durably; nothing was acknowledged",
                service.retry_after,
            ) from None
        if service.live is not None:  # durable now: the Live page may count them
            service.live.record(batch.events)
        if ship_now:  # already durable in the spool: a failure here only delays the lake
            await asyncio.to_thread(service.shipper.ship_once)
        return batch.event_ids

    async def _refuse(
        self, send: Send, exc: Rejected, body: bytes, request_id: str, ip: str | None
    ) -> None:
        service = self.service
        service.metrics.reject(exc.reason)
        extra = [(b"x-request-id", request_id.encode())]
        if exc.retry_after is not None:
            extra.append((b"retry-after", str(exc.retry_after).encode()))
        if isinstance(exc, MethodNotAllowed):
            extra.append((b"allow", b"POST, OPTIONS"))
        if isinstance(exc, Unauthorized):
            extra.append((b"www-authenticate", b'Bearer realm="clickstream"'))
        self.rejections.info(
            exc.reason,
            "request_rejected",
            reason=exc.reason,
            status=exc.status,
            detail=exc.message[:200],
            request_id=request_id,
            client_net=truncate_ip(ip),
        )
        if exc.status in (400, 413) and exc.reason != "payload_too_large":
            service.quarantine.add(exc.reason, exc.message, body, request_id, ip)
        await send_json(send, exc.status, exc.payload(), extra)
