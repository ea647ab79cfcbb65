"""Dashboard sign-in over real HTTP and in a real Chromium: password sign-in and sign-out,
wrong passwords, throttling, an admin-only page a viewer cannot reach, the websocket closed to
strangers, the first admin's link working once, OIDC against a loopback issuer, and `none`.

One migrated (empty) warehouse on the embedded server and one dashboard for the module.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode

import httpx
import jwt
import psycopg
import pytest
import structlog.testing
from cryptography.hazmat.primitives.asymmetric import rsa
from playwright.sync_api import Browser, expect
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from clickstream.dashboard.app import create_app
from clickstream.dashboard.configuration import DashboardSettings
from clickstream.dashboard.signin import cookies
from clickstream.dashboard.signin.accounts import (
    AccountInvalid,
    add_user,
    parse_sites,
    reset_user,
)
from clickstream.dashboard.signin.firstrun import ensure_first_admin
from clickstream.dashboard.signin.links import LINK_PATH
from clickstream.settings import load
from tests.browser import chromium
from tests.conftest import ServerThread
from tests.dashboard.conftest import SESSION_SECRET, _database, as_dashboard

pytestmark = pytest.mark.browser
PASSWORD = "correct-horse-7"
CLIENT_ID = "clickstream-dashboard"
CLIENT_SECRET = "loopback-client-secret"


# --- A loopback OIDC issuer: discovery, authorize (signs in whoever `next_email` is), token
# with PKCE and client_secret_basic checked, JWKS. ---------------------------------------


@dataclass
class Issuer:
    """The issuer's state: its key, the codes it handed out, whom it signs in next."""

    url: str = ""
    next_email: str = ""
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def app(self) -> Starlette:
        async def discovery(_: Request) -> Response:
            return JSONResponse(
                {
                    "issuer": self.url,
                    "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": f"{self.url}/token",
                    "jwks_uri": f"{self.url}/jwks",
                }
            )

        async def authorize(request: Request) -> Response:
            asked = request.query_params
            assert asked["code_challenge_method"] == "S256"
            assert asked["client_id"] == CLIENT_ID
            code = secrets.token_urlsafe(8)
            self.codes[code] = {**asked, "email": self.next_email}
            query = urlencode({"code": code, "state": asked["state"]})
            return RedirectResponse(f"{asked['redirect_uri']}?{query}", status_code=302)

        async def token(request: Request) -> Response:
            form = {k: v[0] for k, v in parse_qs((await request.body()).decode()).items()}
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != f"Basic {expected}":
                return JSONResponse({"error": "invalid_client"}, status_code=401)
            grant = self.codes.pop(form.get("code", ""), None)
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            challenge = base64.urlsafe_b64encode(digest).decode().rstrip("=")
            if grant is None or grant["code_challenge"] != challenge:
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {
                "iss": self.url,
                "aud": CLIENT_ID,
                "sub": grant["email"],
                "email": grant["email"],
                "email_verified": True,
                "nonce": grant["nonce"],
                "iat": now,
                "exp": now + 300,
            }
            id_token = jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "k1"})
            return JSONResponse({"id_token": id_token, "token_type": "Bearer"})

        async def jwks(_: Request) -> Response:
            public = jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key(), as_dict=True)
            return JSONResponse({"keys": [{**public, "kid": "k1", "alg": "RS256"}]})

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/authorize", authorize),
                Route("/token", token, methods=["POST"]),
                Route("/jwks", jwks),
            ]
        )


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    found = Issuer()
    with ServerThread(found.app()) as running:
        found.url = running.url
        yield found


@pytest.fixture(scope="module")
def warehouse(embedded_admin_url: str) -> Iterator[str]:
    """A migrated, empty warehouse with a viewer of one site and an admin of all."""
    for url in _database(embedded_admin_url):
        with psycopg.connect(url, autocommit=True) as conn:
            add_user(conn, "viewer@example.com", "viewer", ["shop"], PASSWORD)
            add_user(conn, "boss@example.com", "admin", None, PASSWORD)
        yield url


def _settings(port: int, **overrides: Any) -> DashboardSettings:
    values: dict[str, Any] = {
        "dashboard_auth": "on",
        "dashboard_session_secret": SESSION_SECRET,
        "dashboard_port": port,
        "dashboard_sign_in_failures_per_ip": 1000,
        **overrides,
    }
    return load(DashboardSettings, **values)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def dashboard(warehouse: str, issuer: Issuer) -> Iterator[str]:
    port = _free_port()
    settings = _settings(
        port,
        dashboard_oidc_issuer=issuer.url,
        dashboard_oidc_client_id=CLIENT_ID,
        dashboard_oidc_client_secret=CLIENT_SECRET,
    )
    with ServerThread(create_app(as_dashboard(warehouse), settings), port=port) as running:
        yield running.url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


def _sign_in(base: str, login: str, password: str, client: httpx.Client | None = None) -> Any:
    poster = client or httpx
    return poster.post(
        f"{base}/auth/sign-in",
        data={"login": login, "password": password, "next": "/"},
        follow_redirects=False,
    )


def test_a_stranger_is_sent_to_sign_in_and_the_websocket_stays_shut(dashboard: str) -> None:
    page = httpx.get(dashboard + "/?x=1", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/auth/sign-in?next=%2F%3Fx%3D1"
    assert httpx.post(dashboard + "/anything").status_code == 401
    forged = cookies.mint(b"not-the-key", 1, 3600)
    refused = httpx.get(dashboard + "/", cookies={"cs_dashboard": forged}, follow_redirects=True)
    assert refused.url.path == "/auth/sign-in"
    # Shiny's websocket: the upgrade is answered 403, never switched.
    host, port = dashboard.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(
            b"GET /websocket/ HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade"
            b"\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        assert sock.recv(100).startswith(b"HTTP/1.1 403")


def test_sign_in_in_the_browser_shows_the_dashboard_and_sign_out_ends_it(
    dashboard: str, browser: Browser
) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(dashboard + "/")
    expect(page.locator("h1")).to_have_text("Sign in to Clickstream")
    page.fill("#login", "Viewer@Example.com")
    page.fill("#password", "wrong-password-1")
    page.click("#sign-in")
    expect(page.locator("#problem")).to_have_text("Wrong login or password.")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    # The Shiny app, its websocket connected: the overview's KPIs come in.
    expect(page.locator("#overview-kpis, .kpi-row").first).to_be_visible(timeout=30_000)
    session = next(c for c in context.cookies() if c["name"] == cookies.SESSION_COOKIE)
    assert session["httpOnly"] and session["sameSite"] == "Lax"
    assert not session["secure"]  # plain http on loopback; https sets Secure
    assert page.locator("#shiny-disconnected-overlay").count() == 0
    page.click("#sign-out button")
    expect(page.locator("h1")).to_have_text("Sign in to Clickstream")
    page.goto(dashboard + "/")
    expect(page).to_have_url(f"{dashboard}/auth/sign-in?next=%2F")
    context.close()


def test_the_session_cookie_is_secure_when_served_over_https(dashboard: str) -> None:
    # Behind a TLS-terminating proxy on this host (uvicorn trusts 127.0.0.1's forwarded headers).
    answer = httpx.post(
        f"{dashboard}/auth/sign-in",
        data={"login": "boss@example.com", "password": PASSWORD, "next": "/"},
        headers={"X-Forwarded-Proto": "https"},
    )
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"].lower()
    assert cookie.startswith("cs_dashboard=")
    for attribute in ("httponly", "samesite=lax", "secure", "max-age=43200", "path=/"):
        assert attribute in cookie


def test_a_wrong_password_is_401_and_names_neither_part(dashboard: str) -> None:
    for login, password in [("viewer@example.com", "nope-nope-1"), ("nobody@x.io", PASSWORD)]:
        answer = _sign_in(dashboard, login, password)
        assert answer.status_code == 401
        assert "Wrong login or password." in answer.text
        assert cookies.SESSION_COOKIE not in answer.cookies


def test_a_viewer_cannot_reach_the_admin_page_and_an_admin_can(dashboard: str) -> None:
    with httpx.Client() as viewer:
        assert _sign_in(dashboard, "viewer@example.com", PASSWORD, viewer).status_code == 303
        assert viewer.get(dashboard + "/auth/me").json() == {
            "login": "viewer@example.com",
            "role": "viewer",
            "sites": ["shop"],
        }
        refused = viewer.get(dashboard + "/auth/users")
        assert refused.status_code == 403
        assert "only admins" in refused.text
    with httpx.Client() as admin:
        assert _sign_in(dashboard, "boss@example.com", PASSWORD, admin).status_code == 303
        listed = admin.get(dashboard + "/auth/users")
        assert listed.status_code == 200
        assert "viewer@example.com" in listed.text and "shop" in listed.text


def test_per_site_access_is_checked_by_the_account() -> None:
    # The dashboard has no site selector yet: the check pages will call is tested here.
    from clickstream.dashboard.signin.accounts import DashboardUser

    since = __import__("datetime").datetime.now()
    viewer = DashboardUser(1, "v", "viewer", ("shop", "blog"), None, since)
    everyone = DashboardUser(2, "a", "admin", None, None, since)
    assert viewer.can_see_site("shop") and not viewer.can_see_site("other")
    assert viewer.visible_sites(["other", "blog", "shop"]) == ["blog", "shop"]
    assert everyone.visible_sites(["other", "blog"]) == ["other", "blog"]
    assert parse_sites("shop, blog,shop") == ("shop", "blog")
    assert parse_sites("all") is None
    with pytest.raises(AccountInvalid, match="site id 'no way'"):
        parse_sites("shop,no way")


def test_the_dashboard_role_may_only_mark_links_used(warehouse: str) -> None:
    with psycopg.connect(as_dashboard(warehouse), autocommit=True) as conn:
        conn.execute("UPDATE dashboard_sign_in_links SET used_at = now() WHERE false")
        for statement in (
            "UPDATE dashboard_users SET role = 'admin'",
            "UPDATE dashboard_sign_in_links SET expires_at = now() + interval '1 year'",
            "INSERT INTO dashboard_sign_in_links (token_hash, user_id, expires_at) "
            "VALUES ('x', 1, now())",
            "DELETE FROM dashboard_users",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)


def test_a_reset_signs_the_account_out_everywhere(dashboard: str, warehouse: str) -> None:
    with psycopg.connect(warehouse, autocommit=True) as conn:
        user = add_user(conn, "leaver@example.com", "viewer", None, PASSWORD)
    with httpx.Client() as browser_like:
        assert _sign_in(dashboard, user.login, PASSWORD, browser_like).status_code == 303
        assert browser_like.get(dashboard + "/auth/me").status_code == 200
        with psycopg.connect(warehouse, autocommit=True) as conn:
            reset_user(conn, user.login, "another-pass-9")
        deadline = time.monotonic() + 5  # the account cache holds for two seconds
        while browser_like.get(dashboard + "/auth/me").status_code == 200:
            assert time.monotonic() < deadline, "the reset did not end the session"
            time.sleep(0.2)


def test_sign_in_is_throttled_per_login_and_per_address(warehouse: str) -> None:
    port = _free_port()
    settings = _settings(
        port, dashboard_sign_in_failures_per_login=3, dashboard_sign_in_failures_per_ip=5
    )
    with ServerThread(create_app(as_dashboard(warehouse), settings), port=port) as running:
        for _ in range(3):
            assert _sign_in(running.url, "viewer@example.com", "bad-guess-1").status_code == 401
        throttled = _sign_in(running.url, "viewer@example.com", PASSWORD)  # right, but too late
        assert throttled.status_code == 429
        assert int(throttled.headers["retry-after"]) > 0
        assert "Too many failed sign-ins" in throttled.text
        # Another login from the same address: two more failures spend the address's five.
        for _ in range(2):
            assert _sign_in(running.url, "boss@example.com", "bad-guess-2").status_code == 401
        assert _sign_in(running.url, "boss@example.com", PASSWORD).status_code == 429


def test_the_first_admin_link_works_once(
    embedded_admin_url: str, browser: Browser, warehouse: str
) -> None:
    for url in _database(embedded_admin_url):
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        link = ensure_first_admin(url, base, timedelta(hours=1))
        assert link is not None and link.startswith(base + LINK_PATH)
        assert ensure_first_admin(url, base, timedelta(hours=1)) is None  # once, on first start
        with ServerThread(create_app(as_dashboard(url), _settings(port)), port=port):
            context = browser.new_context()
            page = context.new_page()
            page.goto(link)
            expect(page.locator(".navbar")).to_be_visible(timeout=30_000)
            assert page.url == base + "/"
            assert httpx.get(base + "/auth/me", cookies=_jar(context)).json()["role"] == "admin"
            other = browser.new_context().new_page()
            other.goto(link)
            expect(other.locator("#message")).to_contain_text("already used")
            other.context.close()
            context.close()
            unknown = httpx.get(base + LINK_PATH + "not-a-link")
            assert unknown.status_code == 410 and "expired or is not known" in unknown.text


def _jar(context: Any) -> dict[str, str]:
    return {c["name"]: c["value"] for c in context.cookies()}


def test_oidc_sign_in_against_a_loopback_issuer(
    dashboard: str, issuer: Issuer, browser: Browser, warehouse: str
) -> None:
    with psycopg.connect(warehouse, autocommit=True) as conn:
        add_user(conn, "sso@example.com", "viewer", ["shop"])  # no password: SSO only
    context = browser.new_context()
    page = context.new_page()
    issuer.next_email = "SSO@example.com"
    page.goto(dashboard + "/")
    page.click("#oidc")
    expect(page.locator(".navbar")).to_be_visible(timeout=30_000)
    assert httpx.get(dashboard + "/auth/me", cookies=_jar(context)).json()["login"] == (
        "sso@example.com"
    )
    context.close()
    # Someone the issuer knows but the dashboard does not: refused, told how to get in.
    issuer.next_email = "stranger@example.com"
    with httpx.Client(follow_redirects=True) as client:
        answer = client.get(dashboard + "/auth/oidc/start")
        assert answer.status_code == 403
        assert "clickstream users add stranger@example.com" in answer.text
        # A callback that this browser did not start is refused.
        forged = client.get(dashboard + "/auth/oidc/callback?code=x&state=y")
        assert forged.status_code == 401


def test_auth_none_opens_every_page_and_says_so_loudly(warehouse: str) -> None:
    settings = load(DashboardSettings, dashboard_auth="none")
    with structlog.testing.capture_logs() as logged:
        app = create_app(as_dashboard(warehouse), settings)
    warning = next(entry for entry in logged if entry["event"] == "dashboard_sign_in_off")
    assert warning["log_level"] == "warning"
    assert "ANYONE WHO REACHES THE DASHBOARD" in warning["warning"]
    with ServerThread(app) as running:
        page = httpx.get(running.url + "/", follow_redirects=False)
        assert page.status_code == 200 and "Sign out" not in page.text
        assert httpx.get(running.url + "/auth/sign-in").status_code == 404
