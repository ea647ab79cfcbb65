"""RS256 tokens and the JWKS: verification, tampering, expiry, audience and key rotation."""

from __future__ import annotations

import base64
import json
import re
import threading
from datetime import timedelta

import httpx
import jwt
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clickstream import utc
from clickstream.auth.models import SigningKey
from clickstream.auth.tokens import (
    TokenInvalid,
    TokenPolicy,
    issue_tokens,
    jwks,
    rotate_keys,
    signing_key,
    verify_token,
)
from clickstream.auth.users import sign_up
from clickstream.shop.db import session_factory

POLICY = TokenPolicy(issuer="http://127.0.0.1:8000", audience="clickstream")


def _tamper(token: str) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["sub"] = "someone-else"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_access_and_id_tokens_verify_against_the_served_jwks(
    db: Session, client: httpx.Client
) -> None:
    user = sign_up(db, "tok@example.com", "Spare Key 2024!")
    pair = issue_tokens(db, user, POLICY)
    key_set = client.get("/.well-known/jwks.json").json()
    claims = verify_token(pair.access_token, key_set, POLICY)
    assert claims["sub"] == user.id
    assert claims["iss"] == POLICY.issuer and claims["aud"] == "clickstream"
    assert claims["exp"] > claims["iat"]
    assert jwt.get_unverified_header(pair.access_token)["kid"] in {
        k["kid"] for k in key_set["keys"]
    }
    assert verify_token(pair.id_token, key_set, POLICY)["email"] == "tok@example.com"
    assert all("d" not in key for key in key_set["keys"])  # no private parts published


def test_tampered_token_is_refused(db: Session) -> None:
    user = sign_up(db, "tamper@example.com", "Spare Key 2024!")
    token = issue_tokens(db, user, POLICY).access_token
    with pytest.raises(TokenInvalid):
        verify_token(_tamper(token), jwks(db, POLICY), POLICY)


def test_expired_token_and_wrong_audience_are_refused(db: Session) -> None:
    user = sign_up(db, "old@example.com", "Spare Key 2024!")
    expired_policy = TokenPolicy(POLICY.issuer, POLICY.audience, lifetime=timedelta(seconds=-1))
    expired = issue_tokens(db, user, expired_policy).access_token
    with pytest.raises(TokenInvalid, match="expired"):
        verify_token(expired, jwks(db, POLICY), POLICY)
    other = TokenPolicy(POLICY.issuer, "another-api")
    token = issue_tokens(db, user, other).access_token
    with pytest.raises(TokenInvalid, match=r"(?i)audience"):
        verify_token(token, jwks(db, POLICY), POLICY)


def test_rotated_key_keeps_verifying_during_grace_then_drops_out(db: Session) -> None:
    user = sign_up(db, "rot@example.com", "Spare Key 2024!")
    before = issue_tokens(db, user, POLICY).access_token
    old_kid = jwt.get_unverified_header(before)["kid"]
    rotate_keys(db)
    after = issue_tokens(db, user, POLICY).access_token
    assert jwt.get_unverified_header(after)["kid"] != old_kid
    assert verify_token(before, jwks(db, POLICY), POLICY)["sub"] == user.id

    old = db.get(SigningKey, old_kid)
    assert old is not None and old.retired_at is not None
    old.retired_at = utc.now() - POLICY.grace - timedelta(seconds=1)
    db.commit()
    with pytest.raises(TokenInvalid, match="not in the key set"):
        verify_token(before, jwks(db, POLICY), POLICY)
    assert verify_token(after, jwks(db, POLICY), POLICY)["sub"] == user.id


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
