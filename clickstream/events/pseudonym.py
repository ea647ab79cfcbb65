"""Keyed pseudonyms for user ids: the same user always maps to the same stable token.

With a key configured, the ingest API stores `pseudonymise(key, sub)` instead of the token's
subject, so the warehouse and the lake never hold the shop's user id; whoever holds the key can
still find a user's pseudonym (for erasure), nobody else can reverse it.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "p_"


def pseudonymise(key: bytes, user_id: str) -> str:
    """`p_` and 32 hex digits of HMAC-SHA256(key, user_id)."""
    return PREFIX + hmac.new(key, user_id.encode(), hashlib.sha256).hexdigest()[:32]
