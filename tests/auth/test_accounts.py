"""Account flows over real HTTP: sign-up rules, wrong passwords, lock-out, one-time resets."""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from clickstream import utc
from clickstream.auth.models import PasswordReset, User
from clickstream.auth.passwords import PasswordRejected
from clickstream.auth.resets import ResetLinkInvalid, create_reset_token, reset_password
from clickstream.auth.users import sign_up
from tests.auth.test_tokens import subject
from tests.conftest import ServerThread

PASSWORD = "correct horse 42"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def _sign_in(client: httpx.Client, email: str, password: str) -> httpx.Response:
    token = csrf_of(client.get("/account/signin").text)
    return client.post(
        "/account/signin", data={"csrf": token, "email": email, "password": password}
    )


def test_sign_up_enforces_password_rules_and_unique_emails(
    client: httpx.Client, db: Session
) -> None:
    token = csrf_of(client.get("/account/signup").text)
    short = client.post(
        "/account/signup", data={"csrf": token, "email": "a@example.com", "password": "short1"}
    )
    assert short.status_code == 400 and "at least 10 characters" in short.text
    made = client.post(
        "/account/signup", data={"csrf": token, "email": "A@Example.com", "password": PASSWORD}
    )
    assert made.status_code == 303
    token = csrf_of(client.get("/account/signup").text)  # signed in: a new session's token
    again = client.post(
        "/account/signup", data={"csrf": token, "email": "a@example.com", "password": PASSWORD}
    )
    assert again.status_code == 400 and "already exists" in again.text
    # what is stored: one account, its e-mail lower-cased, its password hashed
    [user] = db.scalars(select(User).where(User.email.ilike("a@example.com"))).all()
    assert user.email == "a@example.com" and user.password_hash.startswith("$argon2id$")


def test_sign_up_signs_the_new_account_in_with_a_fresh_session(
    client: httpx.Client, db: Session, shop_server: ServerThread
) -> None:
    token = csrf_of(client.get("/account/signup").text)
    guest = client.cookies["cs_session"]
    made = client.post(
        "/account/signup", data={"csrf": token, "email": "new@example.com", "password": PASSWORD}
    )
    assert made.status_code == 303 and made.headers["location"] == "/?welcome=1"
    assert client.cookies["cs_session"] != guest  # a new session id, as sign-in gives
    home = client.get(made.headers["location"])
    assert 'id="welcome"' in home.text and 'id="signout"' in home.text
    assert client.get("/orders").status_code == 200  # a page only a signed-in user sees
    # The tracker on the page sends the new user's access token, which the ingest accepts,
    # and reports the sign-up once.
    user = db.scalar(select(User).where(User.email == "new@example.com"))
    bearer = re.search(r'<meta name="cs-token" content="([^"]+)">', home.text)
    assert user is not None and bearer is not None
    assert subject(shop_server, bearer.group(1)) == user.id
    assert '"sign_up"' in home.text and '"sign_up"' not in client.get("/").text
    # The guest session's cookie signs no one in any more.
    with httpx.Client(base_url=shop_server.url, cookies={"cs_session": guest}) as stale:
        assert stale.get("/orders").status_code == 303


def test_password_is_stored_as_argon2id_never_in_clear(db: Session) -> None:
    user = sign_up(db, "hash@example.com", PASSWORD)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_wrong_password_fails_and_repeated_failures_lock_the_account(
    client: httpx.Client, db: Session
) -> None:
    sign_up(db, "lock@example.com", PASSWORD)
    wrong = _sign_in(client, "lock@example.com", "not the password 1")
    assert wrong.status_code == 401 and "Wrong e-mail or password" in wrong.text
    assert _sign_in(client, "nobody@example.com", PASSWORD).status_code == 401
    for _ in range(2):  # the test shop locks after 3 failures in a row
        _sign_in(client, "lock@example.com", "not the password 1")

    locked = _sign_in(client, "lock@example.com", PASSWORD)  # the right password, yet refused
    # Issue 14 item 8: a locked account answers like any failure (tests/security).
    assert locked.status_code == 401 and "Wrong e-mail or password" in locked.text

    user = db.scalar(select(User).where(User.email == "lock@example.com"))
    assert user is not None
    user.locked_until = utc.now() - timedelta(seconds=1)  # the lock-out has passed
    db.commit()
    assert _sign_in(client, "lock@example.com", PASSWORD).status_code == 303


def test_reset_link_is_logged_without_smtp_works_once_then_is_refused(
    client: httpx.Client, db: Session
) -> None:
    sign_up(db, "reset@example.com", PASSWORD)
    token = csrf_of(client.get("/account/reset").text)
    with structlog.testing.capture_logs() as logs:
        answer = client.post("/account/reset", data={"csrf": token, "email": "reset@example.com"})
    assert answer.status_code == 200 and "reset link is on its way" in answer.text
    mail = next(entry for entry in logs if entry["event"] == "mail_not_sent_no_smtp")
    link = re.search(r"http://\S+/account/reset/(\S+)", mail["body"])
    assert link
    path = f"/account/reset/{link.group(1)}"

    new_password = "brand new pass 7"
    first = client.post(path, data={"csrf": token, "password": new_password})
    assert first.status_code == 303
    reused = client.post(path, data={"csrf": token, "password": "another one 99"})
    assert reused.status_code == 400 and "used already" in reused.text
    assert client.get(path).status_code == 400

    assert _sign_in(client, "reset@example.com", PASSWORD).status_code == 401
    assert _sign_in(client, "reset@example.com", new_password).status_code == 303


def test_unknown_email_gets_the_same_answer_and_no_mail(client: httpx.Client) -> None:
    token = csrf_of(client.get("/account/reset").text)
    with structlog.testing.capture_logs() as logs:
        answer = client.post("/account/reset", data={"csrf": token, "email": "who@example.com"})
    assert "reset link is on its way" in answer.text
    assert [e for e in logs if e["event"].startswith("mail_")] == []


def test_expired_reset_token_is_refused(db: Session) -> None:
    user = sign_up(db, "late@example.com", PASSWORD)
    token = create_reset_token(db, user, timedelta(minutes=5))
    row = db.scalar(select(PasswordReset).where(PasswordReset.user_id == user.id))
    assert row is not None
    row.expires_at = utc.now() - timedelta(seconds=1)
    db.commit()
    with pytest.raises(ResetLinkInvalid):
        reset_password(db, token, "fresh password 1")


def test_rejected_new_password_leaves_the_reset_link_usable(db: Session) -> None:
    user = sign_up(db, "weak@example.com", PASSWORD)
    token = create_reset_token(db, user, timedelta(minutes=5))
    with pytest.raises(PasswordRejected):
        reset_password(db, token, "weak")
    assert reset_password(db, token, "strong enough 1").id == user.id


def _reset_link(client: httpx.Client, email: str) -> str:
    token = csrf_of(client.get("/account/reset").text)
    with structlog.testing.capture_logs() as logs:
        client.post("/account/reset", data={"csrf": token, "email": email})
    mail = next(entry for entry in logs if entry["event"] == "mail_not_sent_no_smtp")
    link = re.search(r"http://\S+(/account/reset/\S+)", mail["body"])
    assert link
    return link.group(1)


def test_password_reset_signs_out_the_users_other_sessions(
    client: httpx.Client, db: Session, shop_server: ServerThread
) -> None:
    sign_up(db, "two@example.com", PASSWORD)
    with (
        httpx.Client(base_url=shop_server.url, timeout=20) as laptop,
        httpx.Client(base_url=shop_server.url, timeout=20) as phone,
    ):
        for browser in (laptop, phone):
            assert _sign_in(browser, "two@example.com", PASSWORD).status_code == 303
            assert browser.get("/orders").status_code == 200  # signed in

        opened = client.get(_reset_link(client, "two@example.com"))  # a third browser
        assert opened.status_code == 303
        form = client.get(opened.headers["location"])
        changed = client.post(
            "/account/new-password",
            data={"csrf": csrf_of(form.text), "password": "fresh pass 2026"},
        )
        assert changed.status_code == 303

        for browser in (laptop, phone):
            away = browser.get("/orders")
            assert away.status_code == 303 and away.headers["location"].startswith(
                "/account/signin"
            )
        assert _sign_in(laptop, "two@example.com", "fresh pass 2026").status_code == 303
        assert _sign_in(phone, "two@example.com", PASSWORD).status_code != 303  # old one gone


def test_no_email_or_reset_token_in_any_shop_url(client: httpx.Client, db: Session) -> None:
    email = "private.person@example.com"
    token = csrf_of(client.get("/account/signup").text)
    made = client.post(
        "/account/signup", data={"csrf": token, "email": email, "password": PASSWORD}
    )
    assert made.status_code == 303
    assert "private" not in made.headers["location"] and "%40" not in made.headers["location"]
    assert email not in client.get(made.headers["location"]).text  # nor in the page

    link = _reset_link(client, email)
    opened = client.get(link)
    assert opened.status_code == 303
    landing = opened.headers["location"]
    assert landing == "/account/new-password" and link.rsplit("/", 1)[1] not in landing
    form = client.get(landing)
    assert form.status_code == 200 and link.rsplit("/", 1)[1] not in form.text
