"""Refresh tokens: opaque, stored only as a SHA-256, rotated on every use, revocable.

A sign-in starts a family; each refresh spends its token and issues the family's next one.
Presenting a token that was already spent means it was copied: the whole family is revoked,
so neither the thief nor the owner can go on with it (the owner signs in again). Signing out
revokes the family; a password change revokes every family of the account.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, String, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from clickstream import utc
from clickstream.auth.models import Base, User


class RefreshToken(Base):
    """One refresh token of a sign-in's family; `used_at` once exchanged, `revoked_at` once void."""

    __tablename__ = "refresh_tokens"
    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(36), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class RefreshRefused(ValueError):
    """The refresh token cannot be exchanged; the message is safe to show."""


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def issue_refresh_token(
    db: Session, user: User, lifetime: timedelta, family_id: str | None = None
) -> str:
    """A new refresh token for `user` (a new family unless `family_id` continues one)."""
    secret = secrets.token_urlsafe(32)
    now = utc.now()
    db.add(
        RefreshToken(
            token_hash=_digest(secret),
            family_id=family_id or str(uuid.uuid4()),
            user_id=user.id,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.commit()
    return secret


def rotate_refresh_token(db: Session, secret: str, lifetime: timedelta) -> tuple[User, str]:
    """Spend `secret` and return its account and the family's next token.

    One conditional UPDATE claims the token, so two concurrent exchanges cannot both win;
    a token spent before revokes its family.
    """
    now = utc.now()
    claimed = db.execute(
        update(RefreshToken)
        .where(
            RefreshToken.token_hash == _digest(secret),
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(RefreshToken.user_id, RefreshToken.family_id)
    ).first()
    if claimed is None:
        known = db.get(RefreshToken, _digest(secret))
        if known is not None and known.used_at is not None and known.revoked_at is None:
            _revoke(db, RefreshToken.family_id == known.family_id)
            raise RefreshRefused(
                "This refresh token was used already: every token of that sign-in is revoked. "
                "Sign in again."
            )
        db.rollback()
        raise RefreshRefused("This refresh token is unknown, expired or revoked. Sign in again.")
    user = db.get(User, claimed[0])
    if user is None:  # the account is gone
        db.rollback()
        raise RefreshRefused("This refresh token is unknown, expired or revoked. Sign in again.")
    return user, issue_refresh_token(db, user, lifetime, family_id=claimed[1])


def revoke_refresh_token(db: Session, secret: str) -> bool:
    """Revoke the family of `secret` (signing out); whether it was a known token."""
    known = db.get(RefreshToken, _digest(secret))
    if known is None:
        return False
    _revoke(db, RefreshToken.family_id == known.family_id)
    return True


def revoke_user_refresh_tokens(db: Session, user_id: str) -> None:
    """Revoke every refresh token of an account (its password changed). Leaves committing to
    the caller, so that it happens with the change that caused it."""
    db.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=utc.now())
    )


def _revoke(db: Session, which: object) -> None:
    db.execute(
        update(RefreshToken)
        .where(which, RefreshToken.revoked_at.is_(None))  # type: ignore[arg-type]
        .values(revoked_at=utc.now())
    )
    db.commit()


def active_families(db: Session, user_id: str) -> int:
    """How many of the account's sign-ins can still be refreshed (for tests and status)."""
    now = utc.now()
    rows = db.scalars(
        select(RefreshToken.family_id)
        .where(
            RefreshToken.user_id == user_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
            RefreshToken.expires_at > now,
        )
        .distinct()
    )
    return len(list(rows))
