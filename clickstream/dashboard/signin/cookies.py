"""Signed, expiring session cookies: `<user id>.<issued ms>.<expires>.<HMAC-SHA256>`.

Nothing is stored per session: the cookie names its account and when it was issued, and the
signature proves the dashboard made it. An account reset or removed since `issued` voids it
(the gate compares it with the account's `sessions_since`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

SESSION_COOKIE = "cs_dashboard"


@dataclass(frozen=True)
class SessionClaims:
    """What a valid session cookie says."""

    user_id: int
    issued_ms: int  # unix milliseconds: a reset in the same second still voids the session
    expires: int  # unix seconds


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sign(key: bytes, payload: str) -> str:
    """`payload` with its signature appended after a dot."""
    return f"{payload}.{_mac(key, payload)}"


def unsign(key: bytes, value: str) -> str | None:
    """The payload of a value `sign` made with `key`, or None when the signature is wrong."""
    payload, _, mac = value.rpartition(".")
    if not payload or not hmac.compare_digest(mac.encode(), _mac(key, payload).encode()):
        return None
    return payload


def mint(key: bytes, user_id: int, lifetime_seconds: int, now: float | None = None) -> str:
    """A session cookie value for `user_id`, valid for `lifetime_seconds` from `now`."""
    issued = time.time() if now is None else now
    return sign(key, f"{user_id}.{int(issued * 1000)}.{int(issued) + lifetime_seconds}")


def read(key: bytes, value: str | None, now: float | None = None) -> SessionClaims | None:
    """The claims of a genuine, unexpired cookie; None for anything else (never raises)."""
    if not value or len(value) > 200:
        return None
    payload = unsign(key, value)
    if payload is None:
        return None
    try:
        user_id, issued_ms, expires = (int(part) for part in payload.split("."))
    except ValueError:
        return None
    if expires <= (time.time() if now is None else now):
        return None
    return SessionClaims(user_id, issued_ms, expires)
