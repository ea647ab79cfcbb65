"""Who sent a request: an identity from a verified bearer token, or a guest.

`authenticate` never raises: it returns the actor, or the reason a presented token was refused.
Whether a refusal or a missing token ends in 401 is the caller's separate decision (the mode).
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from dataclasses import dataclass

import jwt

from clickstream.events.pseudonym import pseudonymise
from clickstream.ingest.auth.jwks import KeySet
from clickstream.ingest.configuration import IngestSettings, default_of

_KEY_FAMILY = {"RS": "RSA", "PS": "RSA", "ES": "EC"}
_CACHE_SIZE = 4096


@dataclass(frozen=True)
class Actor:
    """A verified caller: `user_id` from `sub`, `identity_source` from `iss`."""

    user_id: str
    identity_source: str
    expires_at: float


@dataclass(frozen=True)
class Authentication:
    """The outcome: an actor, nobody (no token), or the reason a token was refused."""

    actor: Actor | None = None
    problem: str | None = None


class Authenticator:
    """Verifies RS256 (or other pinned asymmetric) tokens against a key set."""

    def __init__(
        self,
        mode: str,
        keys: KeySet | None,
        audience: str,
        issuer: str | None = None,
        algorithms: tuple[str, ...] = tuple(default_of("ingest_jwt_algorithms").split(",")),
        pseudonym_key: bytes | None = None,
        leeway: float = default_of("ingest_token_leeway_seconds"),
    ) -> None:
        if mode == "required" and keys is None:
            raise ValueError("auth `required` needs CLICKSTREAM_INGEST_JWKS_URL or _JWKS_FILE")
        self.mode = mode
        self.keys = keys
        self.audience = audience
        self.issuer = issuer
        self.algorithms = algorithms
        self.pseudonym_key = pseudonym_key
        self.leeway = leeway
        self._verified: OrderedDict[str, Actor] = OrderedDict()

    @classmethod
    def from_settings(cls, settings: IngestSettings) -> Authenticator:
        """The authenticator `settings` configure."""
        keys = None
        if settings.ingest_jwks_url or settings.ingest_jwks_file:
            keys = KeySet(
                url=settings.ingest_jwks_url,
                path=settings.ingest_jwks_file,
                min_refresh=settings.ingest_jwks_refresh_seconds,
            )
        algorithms = tuple(a for a in settings.ingest_jwt_algorithms.split(",") if a)
        return cls(
            settings.ingest_auth,
            keys,
            audience=settings.ingest_jwt_audience,
            issuer=settings.ingest_jwt_issuer,
            algorithms=algorithms,
            pseudonym_key=settings.pseudonym_key,
            leeway=settings.ingest_token_leeway_seconds,
        )

    async def authenticate(self, authorization: str | None) -> Authentication:
        """The actor behind an `Authorization: Bearer` header value; never raises."""
        step = self._screen(authorization)
        if isinstance(step, Authentication):
            return step
        assert self.keys is not None
        token, alg, kid = step
        key = self.keys.cached(kid) or await asyncio.to_thread(self.keys.get, kid)
        return self._check(token, alg, kid, key)

    def authenticate_blocking(self, authorization: str | None) -> Authentication:
        """`authenticate` for callers with no event loop (a Lambda handler); never raises.

        An unknown key id fetches the JWKS in this thread (rate-limited as ever).
        """
        step = self._screen(authorization)
        if isinstance(step, Authentication):
            return step
        assert self.keys is not None
        token, alg, kid = step
        return self._check(token, alg, kid, self.keys.get(kid))

    def _screen(self, authorization: str | None) -> Authentication | tuple[str, str, str]:
        """The outcome when it is known without the key, else the token, its alg and kid."""
        if self.mode == "off" or not authorization:
            return Authentication()
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return Authentication(problem="the Authorization header is not a bearer token")
        cached = self._verified.get(token)
        if cached is not None and cached.expires_at > time.time():
            return Authentication(actor=cached)
        if self.keys is None:
            if self.mode == "optional":
                return Authentication()  # nothing to verify against: everyone is a guest
            return Authentication(problem="no key set is configured to verify tokens")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return Authentication(problem="the token is malformed")
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in self.algorithms:
            return Authentication(problem="the token's algorithm is not accepted")
        if not isinstance(kid, str):
            return Authentication(problem="the token has no key id")
        return token, alg, kid

    def _check(self, token: str, alg: str, kid: str, key: jwt.PyJWK | None) -> Authentication:
        assert self.keys is not None
        if key is None:
            return Authentication(problem="the token's key id is unknown")
        declared = self.keys.declared_algorithm(kid)
        if key.key_type != _KEY_FAMILY[alg[:2]] or declared not in (alg, None):
            return Authentication(problem="the token's key does not match its algorithm")
        return self._verify(token, key, alg)

    def _verify(self, token: str, key: jwt.PyJWK, alg: str) -> Authentication:
        options = {"require": ["exp", "iss", "aud", "sub"]}
        try:
            claims = jwt.decode(
                token,
                key=key.key,
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                options=options,  # type: ignore[arg-type]
                leeway=self.leeway,
            )
        except jwt.ExpiredSignatureError:
            return Authentication(problem="the token has expired")
        except jwt.InvalidAudienceError:
            return Authentication(problem="the token is for another audience")
        except jwt.InvalidIssuerError:
            return Authentication(problem="the token is from another issuer")
        except jwt.PyJWTError:
            return Authentication(problem="the token could not be verified")
        sub, iss = claims.get("sub"), claims.get("iss")
        if not isinstance(sub, str) or not sub or not isinstance(iss, str):
            return Authentication(problem="the token lacks a subject or issuer")
        user_id = pseudonymise(self.pseudonym_key, sub) if self.pseudonym_key else sub[:256]
        actor = Actor(user_id=user_id, identity_source=iss[:256], expires_at=claims["exp"])
        self._verified[token] = actor
        if len(self._verified) > _CACHE_SIZE:
            self._verified.popitem(last=False)
        return Authentication(actor=actor)
