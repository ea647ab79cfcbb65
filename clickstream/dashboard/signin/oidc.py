"""OpenID Connect sign-in: the authorization code flow with PKCE, against any issuer.

The issuer's discovery document names its endpoints; the ID token is checked against the
issuer's JWKS (signature, issuer, audience, expiry, nonce). The account is the dashboard
account whose login is the token's verified e-mail: an issuer proves who someone is, the
dashboard's own accounts say what they may see.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from clickstream import jsonio

STATE_COOKIE = "cs_oidc"
STATE_SECONDS = 600
CALLBACK_PATH = "/auth/oidc/callback"


class OidcFailed(Exception):
    """The single sign-on did not prove who the browser is; the message says why."""


@dataclass(frozen=True)
class OidcClient:
    """The dashboard as a client of one issuer."""

    issuer: str
    client_id: str
    client_secret: str | None
    scopes: str
    redirect_uri: str


@dataclass(frozen=True)
class Provider:
    """What the issuer's discovery document says."""

    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str


@dataclass(frozen=True)
class PendingSignIn:
    """What the browser carries (signed) between leaving for the issuer and coming back."""

    state: str
    nonce: str
    verifier: str
    next_path: str
    expires: int

    def encode(self) -> str:
        """The cookie payload (signed by the caller)."""
        raw = jsonio.dumps([self.state, self.nonce, self.verifier, self.next_path, self.expires])
        return base64.urlsafe_b64encode(raw).decode()

    @classmethod
    def decode(cls, payload: str) -> PendingSignIn | None:
        """The pending sign-in in a payload `encode` made, or None."""
        try:
            state, nonce, verifier, next_path, expires = jsonio.loads(
                base64.urlsafe_b64decode(payload.encode())
            )
            return cls(str(state), str(nonce), str(verifier), str(next_path), int(expires))
        except (ValueError, TypeError):
            return None


def _challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


async def discover(http: httpx.AsyncClient, issuer: str) -> Provider:
    """The issuer's endpoints from `<issuer>/.well-known/openid-configuration`."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    try:
        response = await http.get(url)
        response.raise_for_status()
        document = response.json()
        provider = Provider(
            issuer=str(document["issuer"]),
            authorization_endpoint=str(document["authorization_endpoint"]),
            token_endpoint=str(document["token_endpoint"]),
            jwks_uri=str(document["jwks_uri"]),
        )
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise OidcFailed(f"the issuer's discovery document at {url} could not be read") from exc
    if provider.issuer.rstrip("/") != issuer.rstrip("/"):
        raise OidcFailed(f"the issuer at {url} calls itself {provider.issuer!r}")
    return provider


def begin(client: OidcClient, provider: Provider, next_path: str) -> tuple[str, PendingSignIn]:
    """The issuer's authorization URL to send the browser to, and what to remember meanwhile."""
    pending = PendingSignIn(
        state=secrets.token_urlsafe(24),
        nonce=secrets.token_urlsafe(24),
        verifier=secrets.token_urlsafe(48),
        next_path=next_path,
        expires=int(time.time()) + STATE_SECONDS,
    )
    query = urlencode(
        {
            "response_type": "code",
            "client_id": client.client_id,
            "redirect_uri": client.redirect_uri,
            "scope": client.scopes,
            "state": pending.state,
            "nonce": pending.nonce,
            "code_challenge": _challenge(pending.verifier),
            "code_challenge_method": "S256",
        }
    )
    separator = "&" if "?" in provider.authorization_endpoint else "?"
    return f"{provider.authorization_endpoint}{separator}{query}", pending


async def finish(
    http: httpx.AsyncClient,
    client: OidcClient,
    provider: Provider,
    pending: PendingSignIn,
    code: str,
    state: str,
) -> str:
    """The verified e-mail of the person the issuer signed in; raises `OidcFailed`."""
    if not secrets.compare_digest(state, pending.state) or pending.expires < time.time():
        raise OidcFailed("the sign-in took too long or came from another browser; try again")
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": client.redirect_uri,
        "code_verifier": pending.verifier,
        "client_id": client.client_id,
    }
    try:
        if client.client_secret:  # client_secret_basic; a public client proves itself by PKCE
            auth = httpx.BasicAuth(client.client_id, client.client_secret)
            response = await http.post(provider.token_endpoint, data=form, auth=auth)
        else:
            response = await http.post(provider.token_endpoint, data=form)
        response.raise_for_status()
        id_token = str(response.json()["id_token"])
        keys = (await http.get(provider.jwks_uri)).json()
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise OidcFailed("the issuer did not exchange the sign-in code for an ID token") from exc
    claims = _verified(id_token, keys, client, provider)
    if not secrets.compare_digest(str(claims.get("nonce", "")), pending.nonce):
        raise OidcFailed("the ID token was not made for this sign-in (nonce differs)")
    email = claims.get("email")
    if not isinstance(email, str) or not email or claims.get("email_verified") is False:
        raise OidcFailed("the issuer did not give a verified e-mail address")
    return email.lower()


def _verified(
    id_token: str, keys: dict[str, Any], client: OidcClient, provider: Provider
) -> dict[str, Any]:
    try:
        kid = jwt.get_unverified_header(id_token).get("kid")
        found = [key for key in keys.get("keys", []) if key.get("kid") == kid or kid is None]
        if not found:
            raise OidcFailed("the ID token's key is not in the issuer's JWKS")
        key = jwt.PyJWK(found[0])
        claims: dict[str, Any] = jwt.decode(
            id_token,
            key.key,
            algorithms=["RS256", "ES256", "PS256"],
            audience=client.client_id,
            issuer=provider.issuer,
            options={"require": ["exp", "iat", "sub"]},
        )
    except jwt.PyJWTError as exc:
        raise OidcFailed(f"the ID token was refused: {exc}") from exc
    return claims
