"""The user pool's token endpoints over real HTTP: sign-in answers an access, an ID and a
refresh token; refreshing rotates; a reused refresh token revokes its sign-in; sign-out and
a password reset revoke; sign-up signs in. The ingest verifies what the tracker sends (the
access token) against the JWKS the shop serves."""

from __future__ import annotations

import httpx
import jwt
from sqlalchemy import select
from sqlalchemy.orm import Session

from clickstream.auth.models import User
from clickstream.auth.refresh import active_families
from clickstream.auth.resets import create_reset_token, reset_password
from clickstream.auth.users import sign_up
from tests.auth.test_tokens import POLICY, subject, verify
from tests.conftest import ServerThread

PASSWORD = "Spare Key 2024!"


def _password_grant(client: httpx.Client, email: str, password: str) -> httpx.Response:
    return client.post(
        "/auth/token", data={"grant_type": "password", "email": email, "password": password}
    )


def _refresh(client: httpx.Client, token: str) -> httpx.Response:
    return client.post("/auth/token", json={"grant_type": "refresh_token", "refresh_token": token})


def test_sign_in_answers_access_id_and_refresh_tokens_the_ingest_accepts(
    db: Session, client: httpx.Client, shop_server: ServerThread
) -> None:
    user = sign_up(db, "pair@example.com", PASSWORD)
    answer = _password_grant(client, "Pair@Example.com", PASSWORD)
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    issued = answer.json()
    assert issued["token_type"] == "Bearer"
    assert issued["expires_in"] == int(POLICY.lifetime.total_seconds())
    # The tracker sends the access token: the ingest accepts it, for this account.
    assert subject(shop_server, issued["access_token"]) == user.id
    access = jwt.decode(issued["access_token"], options={"verify_signature": False})
    identity = jwt.decode(issued["id_token"], options={"verify_signature": False})
    assert access["token_use"] == "access" and identity["token_use"] == "id"
    assert identity["email"] == "pair@example.com" and identity["sub"] == user.id
    # The refresh token is opaque: never a bearer token the ingest would take.
    assert verify(shop_server, issued["refresh_token"]).actor is None

    wrong = _password_grant(client, "pair@example.com", "not the password 1")
    assert wrong.status_code == 400 and wrong.json()["error"] == "invalid_grant"
    odd = client.post("/auth/token", json={"grant_type": "client_credentials"})
    assert odd.status_code == 400 and odd.json()["error"] == "unsupported_grant_type"
    listed = client.post(
        "/auth/token", content=b"[1]", headers={"content-type": "application/json"}
    )
    assert listed.status_code == 400 and "JSON object" in listed.json()["error_description"]


def test_refresh_rotates_and_reuse_sign_out_and_reset_revoke(
    db: Session, client: httpx.Client, shop_server: ServerThread
) -> None:
    user = sign_up(db, "rotate@example.com", PASSWORD)
    first = _password_grant(client, user.email, PASSWORD).json()
    second = _refresh(client, first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert subject(shop_server, rotated["access_token"]) == user.id

    # The spent token again: someone copied it. The whole sign-in is revoked.
    reused = _refresh(client, first["refresh_token"])
    assert reused.status_code == 400 and "used already" in reused.json()["error_description"]
    assert _refresh(client, rotated["refresh_token"]).json()["error"] == "invalid_grant"

    # Sign-out revokes that sign-in only.
    laptop = _password_grant(client, user.email, PASSWORD).json()
    phone = _password_grant(client, user.email, PASSWORD).json()
    assert client.post("/auth/revoke", data={"token": laptop["refresh_token"]}).status_code == 200
    assert _refresh(client, laptop["refresh_token"]).status_code == 400
    phone = _refresh(client, phone["refresh_token"]).json()
    db.expire_all()
    assert active_families(db, user.id) == 1

    # A password reset ends every sign-in.
    reset_password(db, create_reset_token(db, user, POLICY.lifetime), "Another Key 2025!")
    assert _refresh(client, phone["refresh_token"]).status_code == 400
    assert active_families(db, user.id) == 0


def test_sign_up_signs_the_new_account_in(
    db: Session, client: httpx.Client, shop_server: ServerThread
) -> None:
    made = client.post("/auth/signup", json={"email": "New@Example.com", "password": PASSWORD})
    assert made.status_code == 201
    user = db.scalar(select(User).where(User.email == "new@example.com"))
    assert user is not None
    issued = made.json()
    # The same token set as sign-in: ID, access and refresh tokens.
    assert set(issued) == set(_password_grant(client, "new@example.com", PASSWORD).json())
    assert made.headers["cache-control"] == "no-store"
    assert subject(shop_server, issued["access_token"]) == user.id
    identity = jwt.decode(issued["id_token"], options={"verify_signature": False})
    assert identity["token_use"] == "id" and identity["sub"] == user.id
    assert _refresh(client, made.json()["refresh_token"]).status_code == 200
    again = client.post("/auth/signup", json={"email": "new@example.com", "password": PASSWORD})
    assert again.status_code == 400 and "already exists" in again.json()["error_description"]
    weak = client.post("/auth/signup", data={"email": "weak@example.com", "password": "short"})
    assert weak.status_code == 400 and "at least 10" in weak.json()["error_description"]
