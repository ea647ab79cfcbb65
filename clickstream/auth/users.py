"""Accounts: sign-up, sign-in with lock-out after repeated failures, password changes.

A failed sign-in reads the same whether the e-mail is unknown, the password wrong or the
account locked, and costs the same hashing work, so answers cannot tell accounts apart.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clickstream import utc
from clickstream.auth.models import User, WebSession
from clickstream.auth.passwords import (
    DUMMY_HASH,
    check_password_rules,
    hash_password,
    is_valid_email,
    needs_rehash,
    verify_password,
)
from clickstream.auth.refresh import revoke_user_refresh_tokens


class SignUpRejected(ValueError):
    """The sign-up cannot go ahead; the message is safe to show."""


SIGN_IN_FAILED = (
    "Wrong e-mail or password. After repeated failures an account is locked for a while: "
    "try again later or reset your password."
)


class SignInFailed(ValueError):
    """Wrong e-mail or password, or a locked account (deliberately not saying which)."""


class AccountLocked(SignInFailed):
    """Too many failed sign-ins in a row; its message is the same as any other failure's."""


def normalise_email(email: str) -> str:
    """The stored form of an e-mail address."""
    return email.strip().lower()


def find_user(db: Session, email: str) -> User | None:
    """The account with that e-mail, if any."""
    return db.scalar(select(User).where(User.email == normalise_email(email)))


def sign_up(db: Session, email: str, password: str) -> User:
    """Create an account; raises `SignUpRejected` or `PasswordRejected`."""
    email = normalise_email(email)
    if not is_valid_email(email):
        raise SignUpRejected("Enter a valid e-mail address.")
    check_password_rules(password, email)
    user = User(
        id=str(uuid.uuid4()),
        email=email,
        password_hash=hash_password(password),
        created_at=utc.now(),
        failed_logins=0,
    )
    db.add(user)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        raise SignUpRejected("An account with this e-mail already exists.") from None
    return user


def sign_in(db: Session, email: str, password: str, max_failures: int, lockout: timedelta) -> User:
    """The user whose password matches; counts failures and locks the account after too many."""
    user = find_user(db, email)
    if user is None:
        verify_password(DUMMY_HASH, password)  # same work as a real check: no user probing
        raise SignInFailed(SIGN_IN_FAILED)
    now = utc.now()
    if user.locked_until is not None and user.locked_until > now:
        verify_password(DUMMY_HASH, password)  # a lock must not answer faster either
        raise AccountLocked(SIGN_IN_FAILED)
    if not verify_password(user.password_hash, password):
        user.failed_logins += 1
        if user.failed_logins >= max_failures:
            user.locked_until = now + lockout
            user.failed_logins = 0
        db.commit()
        raise SignInFailed(SIGN_IN_FAILED)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.commit()
    return user


def set_password(db: Session, user: User, password: str) -> None:
    """Replace the password after checking the rules; lifts a lock-out and ends every session.

    Whoever was signed in with the old password (on any browser) has to sign in again.
    """
    check_password_rules(password, user.email)
    user.password_hash = hash_password(password)
    user.failed_logins = 0
    user.locked_until = None
    db.execute(delete(WebSession).where(WebSession.user_id == user.id))
    revoke_user_refresh_tokens(db, user.id)  # and every sign-in of the token API
    db.commit()
