"""RS256 tokens and the JWKS: verification, tampering, expiry, audience and key rotation.

Tokens are verified the way they are in production: by the ingest's verifier, reading the
JWKS the shop serves over HTTP.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import re
import threading
from datetime import timedelta

import httpx
import jwt
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clickstream import utc
from clickstream.auth.models import SigningKey
from clickstream.auth.tokens import TokenPolicy, issue_tokens, jwks, rotate_keys, signing_key
from clickstream.auth.users import sign_up
from clickstream.ingest.auth.jwks import KeySet
from clickstream.ingest.auth.verifier import Authentication, Authenticator
from clickstream.shop.app import token_policy
from clickstream.shop.configuration import ShopSettings
from clickstream.shop.db import session_factory
from tests.conftest import ServerThread

# The policy of the test shop (`tests/shop/fixtures.py`): the settings' defaults.
POLICY = token_policy(ShopSettings())  # type: ignore[call-arg]


def verify(shop: ServerThread, token: str, policy: TokenPolicy = POLICY) -> Authentication:
    """The ingest's verdict on `token`, with the JWKS fetched from the running shop."""
    keys = KeySet(url=f"{shop.url}/.well-known/jwks.json", min_refresh=0)
    verifier = Authenticator("required", keys, audience=policy.audience, issuer=policy.issuer)
    return asyncio.run(verifier.authenticate(f"Bearer {token}"))


def subject(shop: ServerThread, token: str) -> str:
    """The user id of a token the ingest accepts; fails the test when it refuses it."""
    verdict = verify(shop, token)
    assert verdict.actor is not None, verdict.problem
    return verdict.actor.user_id


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_access_and_id_tokens_verify_against_the_served_jwks(
    db: Session, client: httpx.Client, shop_server: ServerThread
) -> None:
    user = sign_up(db, "tok@example.com", "Spare Key 2024!")
    pair = issue_tokens(db, user, POLICY)
    key_set = client.get("/.well-known/jwks.json").json()
    assert subject(shop_server, pair.access_token) == user.id
    claims = jwt.decode(pair.access_token, options={"verify_signature": False})
    assert claims["iss"] == POLICY.issuer and claims["aud"] == "clickstream"
    assert claims["exp"] > claims["iat"]
    assert jwt.get_unverified_header(pair.access_token)["kid"] in {
        k["kid"] for k in key_set["keys"]
    }
    assert subject(shop_server, pair.id_token) == user.id
    id_claims = jwt.decode(pair.id_token, options={"verify_signature": False})
    assert id_claims["email"] == "tok@example.com"
    assert all("d" not in key for key in key_set["keys"])  # no private parts published


def test_tampered_token_is_refused(db: Session, shop_server: ServerThread) -> None:
    user = sign_up(db, "tamper@example.com", "Spare Key 2024!")
    token = issue_tokens(db, user, POLICY).access_token
    verdict = verify(shop_server, _tamper(token))
    assert verdict.actor is None and verdict.problem


def test_expired_token_and_wrong_audience_are_refused(
    db: Session, shop_server: ServerThread
) -> None:
    user = sign_up(db, "old@example.com", "Spare Key 2024!")
    # Expired well beyond any clock-skew leeway the verifier allows.
    expired_policy = dataclasses.replace(POLICY, lifetime=timedelta(hours=-1))
    expired = issue_tokens(db, user, expired_policy).access_token
    verdict = verify(shop_server, expired)
    assert verdict.actor is None and "expired" in (verdict.problem or "")
    other = dataclasses.replace(POLICY, audience="another-api")
    token = issue_tokens(db, user, other).access_token
    verdict = verify(shop_server, token)
    assert verdict.actor is None and re.search(r"(?i)audience", verdict.problem or "")


def test_rotated_key_keeps_verifying_during_grace_then_drops_out(
    db: Session, shop_server: ServerThread
) -> None:
    user = sign_up(db, "rot@example.com", "Spare Key 2024!")
    before = issue_tokens(db, user, POLICY).access_token
    old_kid = jwt.get_unverified_header(before)["kid"]
    rotate_keys(db)
    after = issue_tokens(db, user, POLICY).access_token
    assert jwt.get_unverified_header(after)["kid"] != old_kid
    assert subject(shop_server, before) == user.id

    old = db.get(SigningKey, old_kid)
    assert old is not None and old.retired_at is not None
    old.retired_at = utc.now() - POLICY.grace - timedelta(seconds=1)
    db.commit()
    verdict = verify(shop_server, before)
    assert verdict.actor is None and "key" in (verdict.problem or "")
    assert old_kid not in {k["kid"] for k in jwks(db, POLICY)["keys"]}
    assert subject(shop_server, after) == user.id


def test_key_older_than_the_rotation_period_is_replaced_on_next_issue(db: Session) -> None:
    user = sign_up(db, "age@example.com", "Spare Key 2024!")
    first = jwt.get_unverified_header(issue_tokens(db, user, POLICY).access_token)["kid"]
    key = db.get(SigningKey, first)
    assert key is not None
    key.created_at = utc.now() - POLICY.rotation - timedelta(seconds=1)
    db.commit()
    second = jwt.get_unverified_header(issue_tokens(db, user, POLICY).access_token)["kid"]
    assert second != first
    assert {k["kid"] for k in jwks(db, POLICY)["keys"]} == {first, second}


def test_page_exposes_an_access_token_only_to_a_signed_in_user(
    client: httpx.Client, db: Session
) -> None:
    assert 'name="cs-token"' not in client.get("/").text
    sign_up(db, "meta@example.com", "Spare Key 2024!")
    token = re.search(r'name="csrf" value="([^"]+)"', client.get("/account/signin").text)
    assert token
    client.post(
        "/account/signin",
        data={"csrf": token.group(1), "email": "meta@example.com", "password": "Spare Key 2024!"},
    )
    found = re.search(r'<meta name="cs-token" content="([^"]+)">', client.get("/").text)
    assert (
        found
        and jwt.decode(found.group(1), options={"verify_signature": False})["token_use"] == "access"
    )


def test_concurrent_rotations_leave_exactly_one_signing_key(shop_engine: Engine) -> None:
    sessions = session_factory(shop_engine)
    with sessions() as db:
        first = signing_key(db, POLICY)
        first.created_at = utc.now() - POLICY.rotation - timedelta(seconds=1)
        db.commit()
    start = threading.Barrier(4)
    kids: list[str] = []

    def sign() -> None:
        with sessions() as db:
            start.wait()
            kids.append(signing_key(db, POLICY).kid)

    threads = [threading.Thread(target=sign) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    with sessions() as db:
        active = db.scalars(select(SigningKey).where(SigningKey.retired_at.is_(None))).all()
    assert len(active) == 1
    assert set(kids) == {active[0].kid} and first.kid not in kids
