"""Accounts cannot be probed or hammered: one answer for every failed sign-in, a per-IP budget.

The shop runs over real HTTP on a real database; a second client address is simulated with
`X-Forwarded-For`, which uvicorn believes from 127.0.0.1 only (its default).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from clickstream.auth.models import User
from clickstream.auth.users import sign_up
from clickstream.shop.app import build_app
from tests.conftest import ServerThread
from tests.shop.fixtures import shop_settings

PASSWORD = "correct horse 42"
BUDGET = 5


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found
    return found.group(1)


def error_of(html: str) -> str:
    found = re.search(r'<p class="error" id="form-error">([^<]*)</p>', html)
    assert found, "no error message on the page"
    return found.group(1)


def sign_in(
    http: httpx.Client, email: str, password: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    token = csrf_of(http.get("/account/signin", headers=headers).text)
    form = {"csrf": token, "email": email, "password": password}
    return http.post("/account/signin", data=form, headers=headers)


@pytest.fixture
def budget_shop(shop_engine: Engine, media_dir: Path) -> Iterator[httpx.Client]:
    """A shop allowing `BUDGET` account attempts a minute per client IP."""
    settings = shop_settings(media_dir, auth_attempts_per_minute=BUDGET)
    with (
        ServerThread(build_app(settings, shop_engine)) as server,
        httpx.Client(base_url=server.url, timeout=20) as http,
    ):
        yield http


def test_locked_account_answers_like_an_unknown_email(client: httpx.Client, db: Session) -> None:
    sign_up(db, "probe@example.com", PASSWORD)
    unknown = sign_in(client, "nobody-here@example.com", PASSWORD)
    for _ in range(3):  # the test shop locks after 3 failures in a row
        wrong = sign_in(client, "probe@example.com", "not the password 1")
        assert wrong.status_code == 401

    locked = sign_in(client, "probe@example.com", PASSWORD)

    assert locked.status_code == unknown.status_code == 401
    assert error_of(locked.text) == error_of(unknown.text) == error_of(wrong.text)


def test_account_attempts_over_the_per_ip_budget_get_429_and_are_not_processed(
    budget_shop: httpx.Client, db: Session
) -> None:
    emails = [f"victim{n}@example.com" for n in range(BUDGET + 3)]
    for email in emails:
        sign_up(db, email, PASSWORD)

    answers = [sign_in(budget_shop, email, "guessing 12345") for email in emails]

    assert [a.status_code for a in answers] == [401] * BUDGET + [429] * 3
    refused = answers[-1]
    assert "Too many" in refused.text and int(refused.headers["Retry-After"]) >= 1
    db.expire_all()
    failures = {u.email: u.failed_logins for u in db.scalars(select(User))}
    assert [failures[e] for e in emails] == [1] * BUDGET + [0] * 3  # refused ones untouched

    token = csrf_of(budget_shop.get("/account/signup").text)
    signup = budget_shop.post(
        "/account/signup", data={"csrf": token, "email": "new@example.com", "password": PASSWORD}
    )
    assert signup.status_code == 429
    assert db.scalar(select(User).where(User.email == "new@example.com")) is None
    with structlog.testing.capture_logs() as logs:
        reset = budget_shop.post("/account/reset", data={"csrf": token, "email": emails[0]})
    assert reset.status_code == 429
    assert [e for e in logs if e["event"].startswith("mail_")] == []

    elsewhere = {"X-Forwarded-For": "203.0.113.9"}  # another client keeps its own budget
    assert sign_in(budget_shop, emails[-1], PASSWORD, headers=elsewhere).status_code == 303
