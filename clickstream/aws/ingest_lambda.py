"""`POST /clickstream` as an AWS Lambda behind an API Gateway HTTP API (payload format 2.0).

The same checks, in the same order, with the same statuses and error bodies as the HTTP
endpoint (`ingest/http/endpoint.py`), over the same core (`ingest/core`): method, content type
and encoding, declared length, bearer token, body size, then decode, validate and enrich. The
202 is returned only after S3 `PutObject` (or Firehose) returned. No spool, no threads, no
ASGI: each call is complete when it returns. Rate limits are API Gateway's stage throttling.

Only light modules are imported here; the settings (pydantic), boto3 and the token verifier
are loaded on a container's first call, once (`python -X importtime` in docs/aws.md).
"""

from __future__ import annotations

import base64
import binascii
import os
from dataclasses import dataclass
from time import perf_counter
from typing import TYPE_CHECKING, Any

from clickstream import jsonio, utc
from clickstream.events.record import Receipt, SkewWindow
from clickstream.ingest.core.collector import prepare
from clickstream.ingest.core.errors import (
    InternalError,
    MethodNotAllowed,
    Rejected,
    StorageUnavailable,
    Unauthorized,
    UnsupportedMediaType,
)
from clickstream.ingest.core.limits import Limits, too_large

if TYPE_CHECKING:
    from clickstream.aws.configuration import AwsIngestSettings
    from clickstream.aws.delivery import Delivery
    from clickstream.events.geo import Locator
    from clickstream.ingest.auth.verifier import Authenticator
    from clickstream.ingest.durability.quarantine import Quarantine
    from clickstream.lake.store import LakeStore

ACCEPTED_MEDIA_TYPES = frozenset({"application/json", "text/plain"})


@dataclass
class IngestFunction:
    """One container's ingest: its limits, token verifier, delivery and quarantine sample."""

    node: str
    limits: Limits
    skew: SkewWindow
    auth: Authenticator | None
    auth_mode: str
    delivery: Delivery
    lake: LakeStore
    quarantine: Quarantine
    retry_after: int
    locator: Locator | None = None  # country and region from the full client IP, as over HTTP

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """The HTTP API response for one API Gateway v2 event; never raises."""
        started = perf_counter()
        context = event.get("requestContext") or {}
        request_id = str(context.get("requestId") or os.urandom(8).hex())
        headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
        ip = (context.get("http") or {}).get("sourceIp")
        body = b""
        try:
            encoding, actor = self._admit(event, headers)
            body = request_body(event, self.limits.max_body_bytes)
            place = self.locator.locate(ip) if self.locator is not None else None
            receipt = Receipt(
                received_at=utc.now(),
                request_id=request_id,
                node_id=self.node,
                client_ip=ip,
                user_agent=(headers.get("user-agent") or "")[:512] or None,
                user_id=actor.user_id if actor else None,
                identity_source=actor.identity_source if actor else None,
                country=place.country if place else None,
                region=place.region if place else None,
            )
            batch = prepare(body, receipt, self.limits, self.skew, encoding)
            self._deliver(batch.lines, receipt, request_id)
        except Rejected as exc:
            return self._refuse(exc, body, request_id, ip, started)
        except Exception as exc:  # a bug: logged with its type, answered as a 500
            from clickstream.aws.logs import log

            log("request_failed", "error", error=type(exc).__name__, request_id=request_id)
            failure = InternalError("an unexpected error occurred; nothing was acknowledged")
            return self._refuse(failure, b"", request_id, ip, started)
        from clickstream.aws.logs import put_metrics

        elapsed = (perf_counter() - started) * 1000
        put_metrics({"Accepted": len(batch.event_ids), "IngestDurationMs": elapsed})
        reply = {"accepted": len(batch.event_ids), "event_ids": batch.event_ids}
        return response(202, reply, {"x-request-id": request_id})

    def _admit(self, event: dict[str, Any], headers: dict[str, str]) -> tuple[str, Any]:
        """Every check made before the body is read, as the HTTP endpoint makes them."""
        method = ((event.get("requestContext") or {}).get("http") or {}).get("method")
        if method != "POST":
            raise MethodNotAllowed("use POST to send events")
        media_type = (headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        if media_type not in ACCEPTED_MEDIA_TYPES:
            raise UnsupportedMediaType("send the events as `Content-Type: application/json`")
        encoding = headers.get("content-encoding")
        if encoding is not None:
            encoding = encoding.strip().lower()
            if encoding not in ("", "identity", "gzip"):
                raise UnsupportedMediaType("only `Content-Encoding: gzip` (or none) is accepted")
        declared = headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.limits.max_body_bytes:
            raise too_large(self.limits.max_body_bytes)
        actor = None
        authorization = headers.get("authorization")
        if authorization and self.auth is not None:
            authentication = self.auth.authenticate_blocking(authorization)
            if authentication.problem is not None:
                raise Unauthorized(authentication.problem)
            actor = authentication.actor
        if actor is None and self.auth_mode == "required":
            raise Unauthorized("a bearer token is required")
        return ("" if encoding == "identity" else encoding or ""), actor

    def _deliver(self, lines: bytes, receipt: Receipt, request_id: str) -> None:
        from clickstream.lake.store import LakeUnavailable

        try:
            self.delivery.deliver(lines, receipt.received_at)
        except LakeUnavailable as exc:
            from clickstream.aws.logs import log

            log("delivery_failed", "error", error=str(exc)[:300], request_id=request_id)
            raise StorageUnavailable(
                "events could not be stored durably; nothing was acknowledged", self.retry_after
            ) from None

    def _refuse(
        self, exc: Rejected, body: bytes, request_id: str, ip: str | None, started: float
    ) -> dict[str, Any]:
        from clickstream.aws.logs import log, put_metrics
        from clickstream.events.record import truncate_ip

        put_metrics({"Rejected": 1}, {"Reason": exc.reason})
        log(
            "request_rejected",
            reason=exc.reason,
            status=exc.status,
            detail=exc.message[:200],
            request_id=request_id,
            client_net=truncate_ip(ip),
        )
        extra = {"x-request-id": request_id}
        if exc.retry_after is not None:
            extra["retry-after"] = str(exc.retry_after)
        if isinstance(exc, MethodNotAllowed):
            extra["allow"] = "POST, OPTIONS"
        if isinstance(exc, Unauthorized):
            extra["www-authenticate"] = 'Bearer realm="clickstream"'
        if exc.status in (400, 413) and exc.reason != "payload_too_large":
            self.quarantine.add(exc.reason, exc.message, body, request_id, ip)
            try:  # no background shipper here: the sample goes now, or is dropped
                self.quarantine.flush(self.lake)
            except OSError as error:
                log("quarantine_failed", "warning", error=str(error)[:200])
        return response(exc.status, exc.payload(), extra)


def request_body(event: dict[str, Any], limit: int) -> bytes:
    """The request's body bytes (API Gateway base64-encodes the ones that are not text)."""
    raw = event.get("body") or ""
    if event.get("isBase64Encoded"):
        if len(raw) * 3 // 4 > limit + 3:
            raise too_large(limit)
        try:
            body = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            from clickstream.ingest.core.errors import MalformedBody

            raise MalformedBody("the body is not valid base64") from None
    else:
        body = raw.encode("utf-8", "surrogatepass")
    if len(body) > limit:
        raise too_large(limit)
    return body


def response(status: int, payload: Any, headers: dict[str, str]) -> dict[str, Any]:
    """An HTTP API (v2) response with a JSON body."""
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **headers},
        "body": jsonio.dumps(payload).decode(),
        "isBase64Encoded": False,
    }


def build_function(settings: AwsIngestSettings, clients: dict[str, Any]) -> IngestFunction:
    """The ingest `settings` configure, over the boto3 `clients` (`s3`, and `firehose`)."""
    from clickstream.aws.delivery import FirehoseDelivery, S3Delivery, S3Lake
    from clickstream.events.geo import open_locator
    from clickstream.ingest.auth.verifier import Authenticator
    from clickstream.ingest.core.collector import skew_window
    from clickstream.ingest.durability.quarantine import Quarantine

    # One node name per container, so that concurrent containers never pick the same key.
    node = f"{settings.node_id[:40]}-{os.urandom(4).hex()}"
    lake = S3Lake(clients["s3"], settings.lake_location)
    delivery: Delivery
    if settings.aws_ingest_delivery == "firehose":
        if not settings.aws_firehose_stream:
            raise ValueError("CLICKSTREAM_AWS_FIREHOSE_STREAM is required for firehose delivery")
        delivery = FirehoseDelivery(clients["firehose"], settings.aws_firehose_stream)
    else:
        delivery = S3Delivery(lake, node)
    auth = None if settings.ingest_auth == "off" else Authenticator.from_settings(settings)
    return IngestFunction(
        node=node,
        limits=Limits.from_settings(settings),
        skew=skew_window(settings),
        auth=auth,
        auth_mode=settings.ingest_auth,
        delivery=delivery,
        lake=lake,
        quarantine=Quarantine(node, settings.ingest_quarantine_per_minute),
        retry_after=settings.ingest_retry_after_seconds,
        locator=open_locator(settings.ingest_geoip_database),
    )


def function_from_environment() -> IngestFunction:
    """The container's function: settings from `CLICKSTREAM_*`, boto3 clients from the role."""
    import boto3

    from clickstream.aws.configuration import AwsIngestSettings
    from clickstream.settings import load

    settings = load(AwsIngestSettings)
    clients = {"s3": boto3.client("s3")}
    if settings.aws_ingest_delivery == "firehose":
        clients["firehose"] = boto3.client("firehose")
    return build_function(settings, clients)


_function: IngestFunction | None = None


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The Lambda entry point: an API Gateway HTTP API v2 event in, its response out."""
    global _function
    if _function is None:
        _function = function_from_environment()
    return _function.handle(event)
