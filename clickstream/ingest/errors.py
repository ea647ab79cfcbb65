"""Why a request was refused, as exceptions carrying a status, a reason code and a message.

The HTTP app and any other adapter (an AWS Lambda handler) turn these into responses the same
way; the reason codes are the labels of the rejection metric and the quarantine sample.
"""

from __future__ import annotations

from typing import Any


class Rejected(Exception):
    """The request is refused; nothing from it is stored."""

    status = 400
    reason = "rejected"

    def __init__(self, message: str, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []

    def payload(self) -> dict[str, Any]:
        """The JSON body of the refusal."""
        body: dict[str, Any] = {"error": self.reason, "detail": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


class PayloadTooLarge(Rejected):
    """The body, compressed or not, passed the byte limit."""

    status = 413
    reason = "payload_too_large"


class BatchTooLarge(Rejected):
    """The batch holds more events than allowed."""

    status = 413
    reason = "batch_too_large"


class EventTooLarge(Rejected):
    """One event's JSON passed the per-event byte limit."""

    status = 413
    reason = "event_too_large"


class UnsupportedMediaType(Rejected):
    """The content type or content encoding is not one we read."""

    status = 415
    reason = "unsupported_media_type"


class MalformedBody(Rejected):
    """The body is not UTF-8 JSON (or not valid gzip)."""

    status = 400
    reason = "malformed_json"


class InvalidPayload(Rejected):
    """The JSON is well formed but is not a valid event batch; `errors` names index and field."""

    status = 400
    reason = "invalid_payload"


class StorageUnavailable(Rejected):
    """The spool cannot take the events now (full or failing); retry later."""

    status = 503
    reason = "storage_unavailable"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MethodNotAllowed(Rejected):
    """Only POST collects events."""

    status = 405
    reason = "method_not_allowed"


class Unauthorized(Rejected):
    """A bearer token was refused, or one is required and missing."""

    status = 401
    reason = "unauthorized"


class RateLimited(Rejected):
    """The client used up its token bucket; `retry_after` says when one is free."""

    status = 429
    reason = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ClientGone(Exception):
    """The client disconnected before its body arrived; there is nobody to answer."""
