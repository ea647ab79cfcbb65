"""The Cognito account backend against moto's Cognito on loopback: sign-up, sign-in with ID
and access tokens, refresh, reset, the local mirror row, and the ID token at the ingest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from sqlalchemy.orm import Session

from clickstream.auth.cognito import CognitoAccounts, issuer_of, mirrored_user, region_of
from clickstream.auth.models import Base, User
from clickstream.auth.passwords import PasswordRejected, verify_password
from clickstream.auth.users import SIGN_IN_FAILED, SignInFailed, SignUpRejected
from clickstream.shop.db import create_shop_engine
from tests.aws.conftest import Moto
from tests.aws.test_ingest_lambda import api_event, function_for, records
from tests.conftest import SYSTEM_PG_URL, scratch_database

PASSWORD = "Correct-Horse-42"


@pytest.fixture
def accounts(moto: Moto) -> CognitoAccounts:
    cognito = moto.client("cognito-idp")
    pool = cognito.create_user_pool(
        PoolName="shop",
        Policies={"PasswordPolicy": {"MinimumLength": 12, "RequireNumbers": True}},
    )["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="shop",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return CognitoAccounts(pool, client, cognito)


@pytest.fixture
def shop_db() -> Iterator[Session]:
    with scratch_database(SYSTEM_PG_URL, "cscognito") as url:
        engine = create_shop_engine(url, pool_size=1)
        Base.metadata.create_all(engine, tables=[User.__table__])
        with Session(engine) as session:
            yield session
        engine.dispose()


def signed_up(accounts: CognitoAccounts, email: str = "Ada@Example.com") -> str:
    sub = accounts.sign_up(email, PASSWORD)
    accounts.confirm_sign_up(email, "123456")
    return sub


def test_sign_up_then_sign_in_gives_id_and_access_tokens_of_the_pool(
    accounts: CognitoAccounts,
) -> None:
    sub = signed_up(accounts)
    tokens = accounts.sign_in("ada@example.com", PASSWORD)
    id_claims = jwt.decode(tokens.id_token, options={"verify_signature": False})
    access_claims = jwt.decode(tokens.access_token, options={"verify_signature": False})
    assert id_claims["iss"] == accounts.issuer == issuer_of(accounts.pool_id)
    assert id_claims["aud"] == accounts.client_id
    assert id_claims["sub"] == access_claims["sub"] == sub
    assert id_claims["token_use"] == "id" and access_claims["token_use"] == "access"
    assert tokens.refresh_token and tokens.expires_in > 0
    assert accounts.subject_of(tokens) == (sub, "ada@example.com")
    again = accounts.refresh(tokens.refresh_token)
    assert jwt.decode(again.id_token, options={"verify_signature": False})["sub"] == sub


def test_wrong_password_and_unknown_user_fail_alike(accounts: CognitoAccounts) -> None:
    signed_up(accounts)
    with pytest.raises(SignInFailed) as wrong:
        accounts.sign_in("ada@example.com", "Not-The-Password-1")
    with pytest.raises(SignInFailed) as unknown:
        accounts.sign_in("nobody@example.com", PASSWORD)
    assert str(wrong.value) == str(unknown.value) == SIGN_IN_FAILED


def test_sign_up_refusals_carry_the_local_backends_errors(accounts: CognitoAccounts) -> None:
    signed_up(accounts)
    with pytest.raises(SignUpRejected, match="already exists"):
        accounts.sign_up("ada@example.com", PASSWORD)
    with pytest.raises(PasswordRejected):
        accounts.sign_up("bob@example.com", "short")


def test_reset_through_the_emailed_code(accounts: CognitoAccounts) -> None:
    signed_up(accounts)
    accounts.request_reset("ada@example.com")
    accounts.request_reset("nobody@example.com")  # the same (silent) answer
    accounts.reset_password("ada@example.com", "123456", "Another-Horse-43")
    assert accounts.sign_in("ada@example.com", "Another-Horse-43").id_token


def test_a_cognito_account_is_mirrored_by_a_user_row_that_cannot_sign_in_locally(
    accounts: CognitoAccounts, shop_db: Session
) -> None:
    sub = signed_up(accounts)
    tokens = accounts.sign_in("ada@example.com", PASSWORD)
    user = mirrored_user(shop_db, *accounts.subject_of(tokens))
    assert (user.id, user.email) == (sub, "ada@example.com")
    assert mirrored_user(shop_db, sub, "ada@example.com").id == sub
    assert shop_db.query(User).count() == 1
    assert not verify_password(user.password_hash, PASSWORD)


def test_the_id_token_signs_the_shoppers_events_in_at_the_ingest(
    accounts: CognitoAccounts, moto: Moto, tmp_path: Path
) -> None:
    sub = signed_up(accounts)
    tokens = accounts.sign_in("ada@example.com", PASSWORD)
    bucket = moto.new_bucket()
    function = function_for(
        moto,
        tmp_path,
        bucket,
        ingest_auth="optional",
        ingest_jwks_url=f"{moto.endpoint}/{accounts.pool_id}/.well-known/jwks.json",
        ingest_jwt_issuer=accounts.issuer,
        ingest_jwt_audience=accounts.client_id,
    )
    body = json.dumps({"event_name": "add_to_cart"}).encode()
    reply = function.handle(api_event(body, {"authorization": f"Bearer {tokens.id_token}"}))
    assert reply["statusCode"] == 202, reply
    guest = function.handle(api_event(body))
    assert guest["statusCode"] == 202
    states = sorted(
        (r["user_login_state"], r["identity_source"], r["user_id"]) for r in records(moto, bucket)
    )
    assert states == [("guest", None, None), ("logged_in", accounts.issuer, sub)]


def test_region_comes_from_the_pool_id() -> None:
    assert region_of("eu-west-1_AbC123") == "eu-west-1"
    with pytest.raises(ValueError, match="user pool id"):
        region_of("nonsense")
