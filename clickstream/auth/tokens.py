"""RS256 ID and access tokens, the JWKS that publishes their keys, and signing-key rotation.

Keys live in the shop database. The newest unretired key signs; when it is older than the
rotation period a new key replaces it, and the replaced key stays in the JWKS for a grace
period so tokens it signed keep verifying until they expire. Verifying is the ingest's job
(`clickstream.ingest.auth`), against the JWKS served here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clickstream import jsonio, utc
from clickstream.auth.models import SigningKey, User

ALGORITHM = "RS256"
ROTATION_LOCK_KEY = 0x636C6B10  # one advisory lock for key rotation in the shop database


@dataclass(frozen=True)
class TokenPolicy:
    """Who issues tokens, for whom, for how long, and how keys rotate.

    Built from the shop's settings (`clickstream.shop.app.token_policy`), which hold the defaults.
    """

    issuer: str
    audience: str
    lifetime: timedelta
    rotation: timedelta
    grace: timedelta


def _new_key(db: Session) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    key = SigningKey(kid=secrets.token_hex(8), private_pem=pem, created_at=utc.now())
    db.add(key)
    return key


def rotate_keys(db: Session) -> SigningKey:
    """Retire the signing key now and start signing with a new one."""
    now = utc.now()
    for key in db.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))):
        key.retired_at = now
    key = _new_key(db)
    db.commit()
    return key


def _current_key(db: Session) -> SigningKey | None:
    return db.scalar(
        select(SigningKey)
        .where(SigningKey.retired_at.is_(None))
        .order_by(SigningKey.created_at.desc())
        .limit(1)
    )


def signing_key(db: Session, policy: TokenPolicy) -> SigningKey:
    """The key that signs now, rotating first when it is older than the rotation period.

    The common path is one read; only a rotation takes a lock, so that two processes
    rotating at once still leave one signing key.
    """
    current = _current_key(db)
    if current is not None and current.created_at + policy.rotation > utc.now():
        return current
    db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ROTATION_LOCK_KEY})
    current = _current_key(db)
    if current is None or current.created_at + policy.rotation <= utc.now():
        return rotate_keys(db)
    db.commit()
    return current


def published_keys(db: Session, policy: TokenPolicy) -> list[SigningKey]:
    """The signing key and every retired key still inside its grace period."""
    cutoff = utc.now() - policy.grace
    return list(
        db.scalars(
            select(SigningKey)
            .where((SigningKey.retired_at.is_(None)) | (SigningKey.retired_at > cutoff))
            .order_by(SigningKey.created_at.desc())
        )
    )


def _public_jwk(key: SigningKey) -> dict[str, Any]:
    private = serialization.load_pem_private_key(key.private_pem.encode(), password=None)
    jwk: dict[str, Any] = jsonio.loads(
        jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key())  # type: ignore[arg-type]
    )
    jwk.update({"kid": key.kid, "use": "sig", "alg": ALGORITHM})
    return jwk


def jwks(db: Session, policy: TokenPolicy) -> dict[str, Any]:
    """The JSON Web Key Set served at `/.well-known/jwks.json`."""
    keys = published_keys(db, policy)
    if not keys:
        keys = [signing_key(db, policy)]
    return {"keys": [_public_jwk(key) for key in keys]}


@dataclass(frozen=True)
class TokenPair:
    """An access token and an ID token for one sign-in."""

    access_token: str
    id_token: str
    expires_at: int


def issue_tokens(db: Session, user: User, policy: TokenPolicy) -> TokenPair:
    """Signed RS256 access and ID tokens for `user`."""
    key = signing_key(db, policy)
    now = utc.now()
    expires = int((now + policy.lifetime).timestamp())
    base = {
        "iss": policy.issuer,
        "aud": policy.audience,
        "sub": user.id,
        "iat": int(now.timestamp()),
        "exp": expires,
    }
    headers = {"kid": key.kid}
    access = jwt.encode(
        {**base, "token_use": "access", "jti": secrets.token_hex(8)},
        key.private_pem,
        algorithm=ALGORITHM,
        headers=headers,
    )
    identity = jwt.encode(
        {**base, "token_use": "id", "email": user.email},
        key.private_pem,
        algorithm=ALGORITHM,
        headers=headers,
    )
    return TokenPair(access_token=access, id_token=identity, expires_at=expires)


@dataclass(frozen=True)
class TokenSet:
    """What a sign-in, a sign-up or a refresh answers: the pair and the next refresh token."""

    pair: TokenPair
    refresh_token: str
    lifetime: timedelta

    def response(self) -> dict[str, Any]:
        """The OAuth 2.0 token response (RFC 6749 section 5.1), with OIDC's `id_token`."""
        return {
            "token_type": "Bearer",
            "access_token": self.pair.access_token,
            "id_token": self.pair.id_token,
            "refresh_token": self.refresh_token,
            "expires_in": int(self.lifetime.total_seconds()),
            "expires_at": self.pair.expires_at,
        }


def issue_token_set(db: Session, user: User, policy: TokenPolicy, refresh_token: str) -> TokenSet:
    """The access and ID tokens for `user`, with `refresh_token` (issued or rotated already)."""
    return TokenSet(issue_tokens(db, user, policy), refresh_token, policy.lifetime)
