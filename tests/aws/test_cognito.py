"""The Cognito account backend against moto's Cognito on loopback: sign-up, sign-in with ID
and access tokens, refresh, reset, the local mirror row, and the ID token at the ingest."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import jwt
import pytest
from sqlalchemy.orm import Session

from clickstream.auth.cognito import CognitoAccounts, issuer_of, mirrored_user, region_of
from clickstream.auth.models import Base, User
from clickstream.auth.passwords import PasswordRejected, verify_password
from clickstream.auth.users import SIGN_IN_FAILED, SignInFailed, SignUpRejected
from clickstream.shop.app import build_app, prepare_shop
from clickstream.shop.configuration import ShopSettings
from clickstream.shop.db import create_shop_engine
from clickstream.shop.media import MediaStore
from tests.aws.conftest import Moto
from tests.aws.test_ingest_lambda import api_event, function_for, records
from tests.conftest import SYSTEM_PG_URL, ServerThread, scratch_database

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


@pytest.fixture
def cognito_shop(accounts: CognitoAccounts, tmp_path: Path) -> Iterator[httpx.Client]:
    """The shop over real HTTP with CLICKSTREAM_AUTH_BACKEND=cognito on moto's pool."""
    media = tmp_path / "media"
    media.mkdir()
    with scratch_database(SYSTEM_PG_URL, "csshop") as url:
        engine = create_shop_engine(url, pool_size=4)
        prepare_shop(engine, MediaStore(str(media)))
        settings = ShopSettings(
            media_url=str(media),
            auth_backend="cognito",
            auth_cognito_pool_id=accounts.pool_id,
            auth_cognito_client_id=accounts.client_id,
        )
        app = build_app(settings, engine)
        with ServerThread(app) as server, httpx.Client(base_url=server.url, timeout=20) as http:
            yield http
        engine.dispose()


def _post(client: httpx.Client, path: str, form_path: str, **fields: str) -> httpx.Response:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(form_path).text)
    assert found
    return client.post(path, data={"csrf": found.group(1), **fields})


def test_the_shop_signs_up_confirms_signs_in_and_resets_through_cognito(
    cognito_shop: httpx.Client, accounts: CognitoAccounts, moto: Moto, tmp_path: Path
) -> None:
    shop = cognito_shop
    made = _post(
        shop, "/account/signup", "/account/signup", email="ada@example.com", password=PASSWORD
    )
    assert made.status_code == 303 and made.headers["location"] == "/account/confirm"
    assert "Enter it to finish" in shop.get("/account/confirm").text
    confirmed = _post(shop, "/account/confirm", "/account/confirm", code="123456")
    assert confirmed.status_code == 303, confirmed.text
    wrong = _post(
        shop,
        "/account/signin",
        "/account/signin",
        email="ada@example.com",
        password="Wrong-Horse-99",
    )
    assert wrong.status_code == 401 and "Wrong e-mail or password" in wrong.text
    signed_in = _post(
        shop, "/account/signin", "/account/signin", email="ada@example.com", password=PASSWORD
    )
    assert signed_in.status_code == 303
    page = shop.get("/").text
    token = re.search(r'<meta name="cs-token" content="([^"]+)">', page)
    assert token, "the page carries no token for the tracker"
    claims = jwt.decode(token.group(1), options={"verify_signature": False})
    assert (claims["iss"], claims["aud"], claims["token_use"]) == (
        accounts.issuer,
        accounts.client_id,
        "id",
    )
    bucket = moto.new_bucket()
    ingest = function_for(
        moto, tmp_path, bucket, ingest_auth="required",
        ingest_jwks_url=f"{moto.endpoint}/{accounts.pool_id}/.well-known/jwks.json",
        ingest_jwt_issuer=accounts.issuer, ingest_jwt_audience=accounts.client_id,
    )  # fmt: skip
    bearer = {"authorization": f"Bearer {token.group(1)}"}
    assert ingest.handle(api_event(b'{"event_name": "page_view"}', bearer))["statusCode"] == 202
    (record,) = records(moto, bucket)
    assert (record["user_login_state"], record["identity_source"]) == ("logged_in", accounts.issuer)
    assert record["user_id"] == claims["sub"]

    shop.cookies.clear()
    asked = _post(shop, "/account/reset", "/account/reset", email="ada@example.com")
    assert asked.status_code == 200 and 'name="code"' in asked.text
    reset = _post(
        shop, "/account/reset-code", "/account/reset", email="ada@example.com",
        code="123456", password="Another-Horse-43",
    )  # fmt: skip
    assert reset.status_code == 303 and reset.headers["location"] == "/account/signin?reset=1"
    again = _post(
        shop,
        "/account/signin",
        "/account/signin",
        email="ada@example.com",
        password="Another-Horse-43",
    )
    assert again.status_code == 303
