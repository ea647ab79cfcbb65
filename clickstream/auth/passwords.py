"""Password rules and argon2id hashing."""

from __future__ import annotations

import re

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

# RFC 9106's second recommended option, lighter on memory for a laptop-sized shop.
_hasher = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2, type=Type.ID)
MIN_LENGTH = 10
MAX_LENGTH = 256
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class PasswordRejected(ValueError):
    """A new password breaks a rule; the message says which."""


def check_password_rules(password: str, email: str = "") -> None:
    """Raise `PasswordRejected` unless the password is long enough and not the e-mail."""
    if len(password) < MIN_LENGTH:
        raise PasswordRejected(f"Use at least {MIN_LENGTH} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"Use at most {MAX_LENGTH} characters.")
    if not (re.search(r"[A-Za-z]", password) and re.search(r"[^A-Za-z]", password)):
        raise PasswordRejected("Mix letters with digits or symbols.")
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in password.lower():
        raise PasswordRejected("Do not use your e-mail address in the password.")


def is_valid_email(email: str) -> bool:
    """Whether `email` looks like an address (a link is sent to prove it for resets)."""
    return bool(EMAIL.match(email)) and len(email) <= 254


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches the stored hash."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with older parameters."""
    return _hasher.check_needs_rehash(password_hash)


DUMMY_HASH = hash_password("not-a-real-password-0")
UNUSABLE_HASH = "!"  # not an argon2 hash, so no password ever matches (demo accounts)
