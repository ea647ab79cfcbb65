"""Bearer tokens verified against a JWKS served over loopback HTTP; identity only from tokens."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from tests.ingest.conftest import Ingest

ISSUER = "https://shop.test"
AUDIENCE = "clickstream"


@dataclass
class Jwks:
    """A JWKS endpoint on loopback and the private key that signs test tokens."""

    url: str
    private_key: rsa.RSAPrivateKey
    hits: list[float] = field(default_factory=list)
    keys: list[dict[str, Any]] = field(default_factory=list)

    def add_key(self, kid: str) -> rsa.RSAPrivateKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
        self.keys.append({**public, "kid": kid, "alg": "RS256", "use": "sig"})
        return key

    def token(self, kid: str = "k1", **claims: Any) -> str:
        payload = {"sub": "user-7", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 300}
        payload.update(claims)
        return jwt.encode(payload, self.private_key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def jwks() -> Iterator[Jwks]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    keys = [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]
    hits: list[float] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(time.monotonic())
            body = json.dumps({"keys": keys}).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    yield Jwks(url=url, private_key=key, hits=hits, keys=keys)
    server.shutdown()


def _ingest(make_ingest: Callable[..., Ingest], jwks: Jwks, mode: str) -> Ingest:
    return make_ingest(
        ingest_auth=mode,
        ingest_jwks_url=jwks.url,
        ingest_jwt_issuer=ISSUER,
        ingest_ship_before_ack=True,
    )


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def test_verified_token_sets_identity_and_payload_identity_is_ignored(
    make_ingest: Callable[..., Ingest], jwks: Jwks
) -> None:
    ingest = _ingest(make_ingest, jwks, "optional")
    body = {"event_name": "page_view", "user_id": "someone-else", "user_login_state": "x"}
    response = ingest.post(body, headers=bearer(jwks.token()))

    assert response.status_code == 202, response.text
    [record] = ingest.stored()
    assert record["user_id"] == "user-7"
    assert record["user_login_state"] == "logged_in"
    assert record["identity_source"] == ISSUER


def test_optional_mode_without_token_is_a_guest(
    make_ingest: Callable[..., Ingest], jwks: Jwks
) -> None:
    ingest = _ingest(make_ingest, jwks, "optional")
    assert ingest.post({"event_name": "page_view", "user_id": "forged"}).status_code == 202
    [record] = ingest.stored()
    assert (record["user_id"], record["user_login_state"]) == (None, "guest")
    assert record["identity_source"] is None


def test_required_mode_without_token_returns_401_and_stores_nothing(
    make_ingest: Callable[..., Ingest], jwks: Jwks
) -> None:
    ingest = _ingest(make_ingest, jwks, "required")
    response = ingest.post({"event_name": "page_view"})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert "Bearer" in response.headers["www-authenticate"]
    assert ingest.stored() == []
    assert ingest.post({"event_name": "page_view"}, headers=bearer(jwks.token())).status_code == 202


def _hs256_with_public_key(jwks: Jwks) -> str:
    pem = jwks.private_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    claims = {"sub": "evil", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 300}
    # Sign by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret.
    import base64
    import hashlib
    import hmac

    def b64(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = b64(json.dumps({"alg": "HS256", "kid": "k1", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = b64(hmac.new(pem, header + b"." + payload, hashlib.sha256).digest())
    return (header + b"." + payload + b"." + signature).decode()


def _alg_none(jwks: Jwks) -> str:
    claims = {"sub": "evil", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 300}
    return jwt.encode(claims, None, algorithm="none", headers={"kid": "k1"})


BAD_TOKENS: list[tuple[str, Callable[[Jwks], str], str]] = [
    ("alg_none", _alg_none, "algorithm"),
    ("hs256_key_confusion", _hs256_with_public_key, "algorithm"),
    ("expired", lambda j: j.token(exp=time.time() - 3600), "expired"),
    ("wrong_audience", lambda j: j.token(aud="another-api"), "audience"),
    ("wrong_issuer", lambda j: j.token(iss="https://evil.test"), "issuer"),
    ("no_exp", lambda j: j.token(exp=None), "verified"),
    ("tampered", lambda j: j.token()[:-4] + "AAAA", "verified"),
    ("garbage", lambda j: "not.a.token", "malformed"),
]


@pytest.mark.parametrize(
    ("name", "make_token", "phrase"), BAD_TOKENS, ids=[b[0] for b in BAD_TOKENS]
)
def test_bad_token_returns_401_in_optional_mode_and_stores_nothing(
    make_ingest: Callable[..., Ingest],
    jwks: Jwks,
    name: str,
    make_token: Callable[[Jwks], str],
    phrase: str,
) -> None:
    ingest = _ingest(make_ingest, jwks, "optional")
    token = make_token(jwks)
    if name == "no_exp":
        claims = {"sub": "u", "iss": ISSUER, "aud": AUDIENCE}
        token = jwt.encode(claims, jwks.private_key, algorithm="RS256", headers={"kid": "k1"})
    response = ingest.post({"event_name": "page_view"}, headers=bearer(token))

    assert response.status_code == 401, response.text
    assert phrase in response.json()["detail"]
    assert ingest.stored() == []


def test_unknown_kid_causes_at_most_one_refresh(
    make_ingest: Callable[..., Ingest], jwks: Jwks
) -> None:
    ingest = _ingest(make_ingest, jwks, "optional")
    loaded = len(jwks.hits)  # the key set is loaded at start

    for _ in range(5):
        response = ingest.post({"event_name": "x"}, headers=bearer(jwks.token(kid="nope")))
        assert response.status_code == 401
        assert "unknown" in response.json()["detail"]

    assert len(jwks.hits) == loaded + 1


def test_key_rotated_in_after_start_is_picked_up_by_one_refresh(
    make_ingest: Callable[..., Ingest], jwks: Jwks
) -> None:
    ingest = _ingest(make_ingest, jwks, "required")
    loaded = len(jwks.hits)
    new_key = jwks.add_key("k2")
    claims = {"sub": "user-9", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 300}
    token = jwt.encode(claims, new_key, algorithm="RS256", headers={"kid": "k2"})

    assert ingest.post({"event_name": "x"}, headers=bearer(token)).status_code == 202
    assert ingest.post({"event_name": "x"}, headers=bearer(token)).status_code == 202
    assert len(jwks.hits) == loaded + 1
    assert {r["user_id"] for r in ingest.stored()} == {"user-9"}


def test_keys_from_a_local_jwks_file_verify_tokens(
    make_ingest: Callable[..., Ingest], jwks: Jwks, tmp_path: Path
) -> None:
    keys_file = tmp_path / "jwks.json"
    keys_file.write_text(json.dumps({"keys": jwks.keys}))
    ingest = make_ingest(
        ingest_auth="required", ingest_jwks_file=keys_file, ingest_ship_before_ack=True
    )

    assert ingest.post({"event_name": "x"}, headers=bearer(jwks.token())).status_code == 202
    assert ingest.post({"event_name": "x"}).status_code == 401
    assert [r["identity_source"] for r in ingest.stored()] == [ISSUER]


def test_pseudonymise_key_stores_a_keyed_pseudonym_instead_of_the_user_id(
    make_ingest: Callable[..., Ingest], jwks: Jwks
) -> None:
    from clickstream.events.pseudonym import pseudonymise

    ingest = make_ingest(
        ingest_auth="optional",
        ingest_jwks_url=jwks.url,
        ingest_jwt_issuer=ISSUER,
        ingest_ship_before_ack=True,
        pseudonymise_key="k" * 32,
    )
    response = ingest.post({"event_name": "page_view"}, headers=bearer(jwks.token(sub="user-7")))

    assert response.status_code == 202
    [record] = ingest.stored()
    assert record["user_id"] == pseudonymise(b"k" * 32, "user-7")
    assert record["user_login_state"] == "logged_in"
    assert "user-7" not in json.dumps(record)


@pytest.mark.parametrize(("leeway", "accepted"), [(None, False), (30, True), (0, False)])
def test_token_expired_seconds_ago_is_accepted_only_within_the_configured_leeway(
    make_ingest: Callable[..., Ingest], jwks: Jwks, leeway: int | None, accepted: bool
) -> None:
    overrides = {} if leeway is None else {"ingest_token_leeway_seconds": leeway}
    ingest = make_ingest(
        ingest_auth="optional",
        ingest_jwks_url=jwks.url,
        ingest_jwt_issuer=ISSUER,
        ingest_ship_before_ack=True,
        **overrides,
    )
    token = jwks.token(exp=time.time() - 10)  # expired ten seconds ago

    response = ingest.post({"event_name": "page_view"}, headers=bearer(token))

    if accepted:
        assert response.status_code == 202, response.text
        assert [r["user_id"] for r in ingest.stored()] == ["user-7"]
    else:
        assert response.status_code == 401, response.text
        assert "expired" in response.json()["detail"]
        assert ingest.stored() == []
