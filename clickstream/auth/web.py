"""Browser sessions and CSRF: a random cookie whose hash keys a `web_sessions` row.

`actor_from_request` gives the signed-in user or None and never raises; each form carries the
session's CSRF token, compared in constant time before any state changes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import delete
from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from clickstream import utc
from clickstream.auth.models import User, WebSession

COOKIE = "cs_session"
COOKIE_MAX_AGE = 30 * 24 * 3600


class CsrfFailed(PermissionError):
    """A state-changing form arrived without the session's CSRF token."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def load_session(db: Session, request: Request) -> tuple[WebSession, str | None]:
    """The browser's session, creating one when the cookie is missing or unknown.

    Returns the session and, when it is new, the cookie secret to set.
    """
    secret = request.cookies.get(COOKIE)
    if secret:
        found = db.get(WebSession, _digest(secret))
        if found is not None:
            return found, None
    return new_session(db)


def new_session(db: Session) -> tuple[WebSession, str]:
    """A fresh guest session and its cookie secret."""
    secret = secrets.token_urlsafe(32)
    fresh = WebSession(
        id=_digest(secret),
        csrf_token=secrets.token_urlsafe(24),
        created_at=utc.now(),
        pending_events="",
    )
    db.add(fresh)
    db.commit()
    return fresh, secret


def set_cookie(response: Response, secret: str, secure: bool) -> None:
    """Attach the session cookie."""
    response.set_cookie(
        COOKIE, secret, max_age=COOKIE_MAX_AGE, httponly=True, samesite="lax", secure=secure
    )


def start_user_session(db: Session, old: WebSession, user: User) -> tuple[WebSession, str]:
    """A new session for a signed-in user (a fresh id defeats session fixation)."""
    secret = secrets.token_urlsafe(32)
    fresh = WebSession(
        id=_digest(secret),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(24),
        created_at=utc.now(),
        pending_events=old.pending_events,
    )
    db.add(fresh)
    db.execute(delete(WebSession).where(WebSession.id == old.id))
    db.commit()
    return fresh, secret


def check_csrf(session: WebSession, submitted: str | None) -> None:
    """Raise `CsrfFailed` unless `submitted` is the session's token."""
    if not submitted or not hmac.compare_digest(submitted, session.csrf_token):
        raise CsrfFailed("the form expired or came from elsewhere; reload the page and retry")


def actor_from_request(db: Session, session: WebSession) -> User | None:
    """The signed-in user of this browser session, or None."""
    if session.user_id is None:
        return None
    return db.get(User, session.user_id)
