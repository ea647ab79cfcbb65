"""Why a request was refused, as exceptions carrying a status, a reason code and a message.

The HTTP app and any other adapter (an AWS Lambda handler) turn these into responses the same
way; the reason codes are the labels of the rejection metric and the quarantine sample.
"""

from __future__ import annotations

from typing import Any, ClassVar


class Rejected(Exception):
    """The request is refused; nothing from it is stored.

    `errors` names each bad event by index and field; `retry_after` (seconds) is set when
    trying again later can succeed.
    """

    status: ClassVar[int] = 400
    reason: ClassVar[str] = "rejected"

    def __init__(
        self,
        message: str,
        errors: list[dict[str, Any]] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors or []
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body of the refusal."""
        body: dict[str, Any] = {"error": self.reason, "detail": self.message}
        if self.errors:
            body["errors"] = self.errors
        return body


class PayloadTooLarge(Rejected):
    """The body, compressed or not, passed the byte limit."""

    status: ClassVar[int] = 413
    reason: ClassVar[str] = "payload_too_large"


class BatchTooLarge(Rejected):
    """The batch holds more events than allowed."""

    status: ClassVar[int] = 413
    reason: ClassVar[str] = "batch_too_large"


class EventTooLarge(Rejected):
    """One event's JSON passed the per-event byte limit."""

    status: ClassVar[int] = 413
    reason: ClassVar[str] = "event_too_large"


class UnsupportedMediaType(Rejected):
    """The content type or content encoding is not one we read."""

    status: ClassVar[int] = 415
    reason: ClassVar[str] = "unsupported_media_type"


class MalformedBody(Rejected):
    """The body is not UTF-8 JSON (or not valid gzip)."""

    status: ClassVar[int] = 400
    reason: ClassVar[str] = "malformed_json"


class InvalidPayload(Rejected):
    """The JSON is well formed but is not a valid event batch; `errors` names index and field."""

    status: ClassVar[int] = 400
    reason: ClassVar[str] = "invalid_payload"


class StorageUnavailable(Rejected):
    """The spool cannot take the events now (full or failing); retry later."""

    status: ClassVar[int] = 503
    reason: ClassVar[str] = "storage_unavailable"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)


class MethodNotAllowed(Rejected):
    """Only POST collects events."""

    status: ClassVar[int] = 405
    reason: ClassVar[str] = "method_not_allowed"


class Unauthorized(Rejected):
    """A bearer token was refused, or one is required and missing."""

    status: ClassVar[int] = 401
    reason: ClassVar[str] = "unauthorized"


class RateLimited(Rejected):
    """The client used up its token bucket; `retry_after` says when one is free."""

    status: ClassVar[int] = 429
    reason: ClassVar[str] = "rate_limited"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)


class ClientGone(Exception):
    """The client disconnected before its body arrived; there is nobody to answer."""


class InternalError(Rejected):
    """Something unexpected failed while serving the request (a bug); it is logged and counted."""

    status: ClassVar[int] = 500
    reason: ClassVar[str] = "internal_error"


class SiteUnknown(Rejected):
    """An event names a site that is not registered."""

    status: ClassVar[int] = 403
    reason: ClassVar[str] = "unknown_site"


class WriteKeyRefused(Rejected):
    """The write key is missing or wrong: the site has one, or a Segment key names no site."""

    status: ClassVar[int] = 403
    reason: ClassVar[str] = "write_key_refused"


class RegistryUnavailable(Rejected):
    """The site registry was never read (the warehouse did not answer yet); retry later."""

    status: ClassVar[int] = 503
    reason: ClassVar[str] = "site_registry_unavailable"

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, retry_after=retry_after)
