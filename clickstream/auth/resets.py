"""One-time password reset links: only a hash of the secret is stored, and it works once."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from clickstream import utc
from clickstream.auth.models import PasswordReset, User
from clickstream.auth.users import set_password


class ResetLinkInvalid(ValueError):
    """The link is unknown, used already or expired."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_reset_token(db: Session, user: User, lifetime: timedelta) -> str:
    """A new reset secret for `user`, valid for `lifetime`."""
    token = secrets.token_urlsafe(32)
    db.add(
        PasswordReset(token_hash=_digest(token), user_id=user.id, expires_at=utc.now() + lifetime)
    )
    db.commit()
    return token


def is_usable(db: Session, token: str) -> bool:
    """Whether a reset token can still be used (for showing the form)."""
    row = db.get(PasswordReset, _digest(token))
    return row is not None and row.used_at is None and row.expires_at > utc.now()


def reset_password(db: Session, token: str, new_password: str) -> User:
    """Use the token to set a new password; a second use raises `ResetLinkInvalid`.

    The token is claimed with one conditional UPDATE so two concurrent uses cannot both win.
    """
    now = utc.now()
    claimed = db.execute(
        update(PasswordReset)
        .where(
            PasswordReset.token_hash == _digest(token),
            PasswordReset.used_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .returning(PasswordReset.user_id)
    ).first()
    if claimed is None:
        db.rollback()
        raise ResetLinkInvalid("This reset link is invalid, expired or used already.")
    user = db.scalar(select(User).where(User.id == claimed[0]))
    assert user is not None
    try:
        set_password(db, user, new_password)
    except ValueError:
        db.rollback()  # a rejected password leaves the link usable
        raise
    return user
