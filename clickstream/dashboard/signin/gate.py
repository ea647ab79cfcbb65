"""The gate in front of every dashboard route, Shiny's websocket included, and its pages.

`/auth/...` is served here (sign-in, sign-out, one-time links, OIDC, the admin-only account
list); anything else passes only with a valid session cookie, and then carries the account
in `scope["state"]["dashboard_user"]` for pages that filter by site. A browser without a
session is sent to the sign-in page; other requests get 401; a websocket is closed unopened.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import structlog
from shiny import App, ui
from shiny.ui._navs import NavPanel
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from clickstream.dashboard.configuration import DashboardSettings
from clickstream.dashboard.signin import cookies, oidc, pages
from clickstream.dashboard.signin.accounts import DashboardUser, password_matches
from clickstream.dashboard.signin.directory import Directory
from clickstream.dashboard.signin.links import LinkUsed
from clickstream.dashboard.signin.throttle import SignInThrottle

log = structlog.get_logger("clickstream.dashboard.signin")
SIGN_IN_PATH = "/auth/sign-in"
WRONG = "Wrong login or password."
USER_KEY = "dashboard_user"


@dataclass(frozen=True)
class GateOptions:
    """The gate's settings, resolved once."""

    key: bytes
    session_seconds: int
    throttle: SignInThrottle
    oidc_client: oidc.OidcClient | None
    public_https: bool = False  # the public URL is https: cookies are Secure whatever the hop

    @classmethod
    def from_settings(cls, settings: DashboardSettings) -> GateOptions:
        """The options `settings` describe (a random key when none is set)."""
        secret = settings.dashboard_session_secret
        if secret is None:
            log.info("dashboard_session_key_random", note="sessions end when the dashboard stops")
            key = secrets.token_bytes(32)
        else:
            key = secret.get_secret_value().encode()
        client = None
        if settings.dashboard_oidc_issuer and settings.dashboard_oidc_client_id:
            client_secret = settings.dashboard_oidc_client_secret
            client = oidc.OidcClient(
                issuer=settings.dashboard_oidc_issuer,
                client_id=settings.dashboard_oidc_client_id,
                client_secret=client_secret.get_secret_value() if client_secret else None,
                scopes=settings.dashboard_oidc_scopes,
                redirect_uri=settings.dashboard_base_url + oidc.CALLBACK_PATH,
            )
        return cls(
            key=key,
            session_seconds=int(settings.dashboard_session_hours * 3600),
            throttle=SignInThrottle(
                settings.dashboard_sign_in_failures_per_ip,
                settings.dashboard_sign_in_failures_per_login,
                settings.dashboard_sign_in_window_seconds,
            ),
            oidc_client=client,
            public_https=settings.dashboard_base_url.startswith("https://"),
        )


def user_of(connection: HTTPConnection | Scope) -> DashboardUser | None:
    """The signed-in account of a request or websocket (None when sign-in is off)."""
    scope = connection.scope if isinstance(connection, HTTPConnection) else connection
    found = scope.get("state", {}).get(USER_KEY)
    return found if isinstance(found, DashboardUser) else None


def safe_next(value: str | None) -> str:
    """A local path to return to after signing in; anything else becomes `/`."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value if not value.startswith("/auth/") else "/"


class SignInGate:
    """ASGI middleware: the dashboard `app` for signed-in accounts only."""

    def __init__(self, app: ASGIApp, directory: Directory, options: GateOptions) -> None:
        self.app = app
        self.directory = directory
        self.options = options
        self._provider: oidc.Provider | None = None
        self.routes = Starlette(
            routes=[
                Route(SIGN_IN_PATH, self.sign_in_form, methods=["GET"]),
                Route(SIGN_IN_PATH, self.sign_in, methods=["POST"]),
                Route("/auth/sign-out", self.sign_out, methods=["POST"]),
                Route("/auth/link/{secret}", self.use_link, methods=["GET"]),
                Route("/auth/users", self.users, methods=["GET"]),
                Route("/auth/me", self.me, methods=["GET"]),
                Route("/auth/oidc/start", self.oidc_start, methods=["GET"]),
                Route(oidc.CALLBACK_PATH, self.oidc_callback, methods=["GET"]),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)  # lifespan
            return
        if scope["type"] == "http" and scope["path"].startswith("/auth/"):
            await self.routes(scope, receive, send)
            return
        user = await self.current_user(HTTPConnection(scope))
        if user is None:
            await self._refuse(scope, receive, send)
            return
        scope.setdefault("state", {})[USER_KEY] = user
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            # Closing before accepting answers the upgrade with 403.
            await send({"type": "websocket.close", "code": 4401, "reason": "sign in first"})
            return
        request = Request(scope)
        if request.method in ("GET", "HEAD"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            location = f"{SIGN_IN_PATH}?next={quote(target, safe='')}"
            response: Response = RedirectResponse(location, status_code=303)
        else:
            response = JSONResponse({"error": "sign in first"}, status_code=401)
        await response(scope, receive, send)

    async def current_user(self, connection: HTTPConnection) -> DashboardUser | None:
        """The account of the connection's session cookie, or None (never raises)."""
        claims = cookies.read(self.options.key, connection.cookies.get(cookies.SESSION_COOKIE))
        if claims is None:
            return None
        try:
            user = await run_in_threadpool(self.directory.user, claims.user_id)
        except Exception as exc:  # an unreachable database must not open the gate or crash
            log.warning("dashboard_sign_in_lookup_failed", error=str(exc))
            return None
        if user is None or claims.issued_ms < user.sessions_since.timestamp() * 1000:
            return None  # removed, or reset since this session began
        return user

    # --- pages --------------------------------------------------------------------------

    def _sign_in_page(
        self, next_path: str, problem: str | None = None, login: str = "", status: int = 200
    ) -> HTMLResponse:
        label = (
            urlsplit(self.options.oidc_client.issuer).hostname if self.options.oidc_client else None
        )
        page = pages.sign_in_page(next_path, problem, login, label)
        return HTMLResponse(page, status_code=status, headers=_NO_STORE)

    async def sign_in_form(self, request: Request) -> Response:
        next_path = safe_next(request.query_params.get("next"))
        if await self.current_user(request) is not None:
            return RedirectResponse(next_path, status_code=303)
        return self._sign_in_page(next_path)

    async def sign_in(self, request: Request) -> Response:
        if not _same_origin(request):
            return HTMLResponse(
                pages.message_page("Refused", "That form came from elsewhere."), 403
            )
        form = parse_qs((await request.body()).decode("utf-8", "replace"))
        login = form.get("login", [""])[0].strip().lower()[:254]
        password = form.get("password", [""])[0][:256]
        next_path = safe_next(form.get("next", ["/"])[0])
        ip = request.client.host if request.client else "unknown"
        throttle = self.options.throttle
        wait = throttle.wait_for(ip, login)
        if wait > 0:
            log.warning("dashboard_sign_in_throttled", login=login, ip=ip)
            problem = f"Too many failed sign-ins. Try again in {int(wait) + 1} seconds."
            response = self._sign_in_page(next_path, problem, login, status=429)
            response.headers["Retry-After"] = str(int(wait) + 1)
            return response
        user = await run_in_threadpool(self.directory.by_login, login) if login else None
        matches = await run_in_threadpool(password_matches, user, password)
        if user is None or not matches:
            throttle.failed(ip, login)
            log.info("dashboard_sign_in_failed", login=login, ip=ip)
            return self._sign_in_page(next_path, WRONG, login, status=401)
        throttle.succeeded(login)
        log.info("dashboard_signed_in", login=user.login, via="password")
        return self._signed_in(request, user, next_path)

    def _signed_in(self, request: Request, user: DashboardUser, next_path: str) -> Response:
        response = RedirectResponse(next_path, status_code=303)
        value = cookies.mint(self.options.key, user.user_id, self.options.session_seconds)
        response.set_cookie(
            cookies.SESSION_COOKIE,
            value,
            max_age=self.options.session_seconds,
            httponly=True,
            samesite="lax",
            secure=self._secure(request),
        )
        return response

    def _secure(self, request: Request) -> bool:
        return self.options.public_https or request.url.scheme == "https"

    async def sign_out(self, request: Request) -> Response:
        if not _same_origin(request):
            return HTMLResponse(
                pages.message_page("Refused", "That form came from elsewhere."), 403
            )
        user = await self.current_user(request)
        if user is not None:
            log.info("dashboard_signed_out", login=user.login)
        response = RedirectResponse(SIGN_IN_PATH, status_code=303)
        response.delete_cookie(
            cookies.SESSION_COOKIE, httponly=True, samesite="lax", secure=self._secure(request)
        )
        return response

    async def use_link(self, request: Request) -> Response:
        secret = str(request.path_params["secret"])[:100]
        outcome = await run_in_threadpool(self.directory.use_link, secret)
        if isinstance(outcome, LinkUsed):
            user = await run_in_threadpool(self.directory.user, outcome.user_id)
            if user is not None:
                log.info("dashboard_signed_in", login=user.login, via="link")
                return self._signed_in(request, user, "/")
        used = not isinstance(outcome, LinkUsed) and outcome.reason == "used"
        text = (
            "This sign-in link was already used: each link works once. Sign in with your "
            "password, or ask an admin for a new link (clickstream users reset LOGIN --link)."
            if used
            else "This sign-in link has expired or is not known. Ask an admin for a new one "
            "(clickstream users reset LOGIN --link)."
        )
        page = pages.message_page("Sign-in link not valid", text, SIGN_IN_PATH)
        return HTMLResponse(page, status_code=410, headers=_NO_STORE)

    async def users(self, request: Request) -> Response:
        user = await self.current_user(request)
        if user is None:
            return RedirectResponse(f"{SIGN_IN_PATH}?next=/auth/users", status_code=303)
        if not user.is_admin:
            text = f"{user.login} is a viewer; only admins may see the accounts."
            return HTMLResponse(pages.message_page("Admins only", text, "/"), status_code=403)
        accounts = await run_in_threadpool(self.directory.all_users)
        return HTMLResponse(pages.users_page(accounts, user), headers=_NO_STORE)

    async def me(self, request: Request) -> Response:
        user = await self.current_user(request)
        if user is None:
            return JSONResponse({"error": "sign in first"}, status_code=401)
        return JSONResponse(
            {"login": user.login, "role": user.role, "sites": user.sites}, headers=_NO_STORE
        )

    # --- OIDC ---------------------------------------------------------------------------

    async def _oidc(self) -> tuple[oidc.OidcClient, oidc.Provider]:
        client = self.options.oidc_client
        if client is None:
            raise oidc.OidcFailed("single sign-on is not set up (CLICKSTREAM_DASHBOARD_OIDC_*)")
        if self._provider is None:
            async with httpx.AsyncClient(timeout=10) as http:
                self._provider = await oidc.discover(http, client.issuer)
        return client, self._provider

    async def oidc_start(self, request: Request) -> Response:
        try:
            client, provider = await self._oidc()
        except oidc.OidcFailed as exc:
            return HTMLResponse(pages.message_page("Single sign-on", str(exc), SIGN_IN_PATH), 502)
        url, pending = oidc.begin(client, provider, safe_next(request.query_params.get("next")))
        response = RedirectResponse(url, status_code=303)
        response.set_cookie(
            oidc.STATE_COOKIE,
            cookies.sign(self.options.key, pending.encode()),
            max_age=oidc.STATE_SECONDS,
            path="/auth/oidc",
            httponly=True,
            samesite="lax",
            secure=self._secure(request),
        )
        return response

    async def oidc_callback(self, request: Request) -> Response:
        params = request.query_params
        payload = cookies.unsign(self.options.key, request.cookies.get(oidc.STATE_COOKIE, ""))
        pending = oidc.PendingSignIn.decode(payload) if payload else None
        try:
            if "error" in params:
                raise oidc.OidcFailed(f"the issuer said: {params['error']}")
            if pending is None or "code" not in params:
                raise oidc.OidcFailed("the sign-in was not started here, or took too long")
            client, provider = await self._oidc()
            async with httpx.AsyncClient(timeout=10) as http:
                email = await oidc.finish(
                    http, client, provider, pending, params["code"], params.get("state", "")
                )
        except oidc.OidcFailed as exc:
            log.warning("dashboard_oidc_failed", error=str(exc))
            return HTMLResponse(
                pages.message_page("Single sign-on failed", str(exc), SIGN_IN_PATH), 401
            )
        user = await run_in_threadpool(self.directory.by_login, email)
        if user is None:
            text = (
                f"{email} has no dashboard account. An admin can add it with "
                f"`clickstream users add {email} --role viewer`."
            )
            return HTMLResponse(pages.message_page("No dashboard account", text, SIGN_IN_PATH), 403)
        log.info("dashboard_signed_in", login=user.login, via="oidc")
        response = self._signed_in(request, user, pending.next_path if pending else "/")
        response.delete_cookie(oidc.STATE_COOKIE, path="/auth/oidc")
        return response


_NO_STORE = {"Cache-Control": "no-store"}


def _same_origin(request: Request) -> bool:
    """Whether a form post came from a page of this dashboard (or says nothing of its origin)."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


def protect(app: App, warehouse_url: str, settings: DashboardSettings) -> ASGIApp:
    """`app` behind the sign-in gate, or `app` itself, loudly, when sign-in is turned off."""
    if settings.dashboard_auth == "none":
        log.warning(
            "dashboard_sign_in_off",
            warning="CLICKSTREAM_DASHBOARD_AUTH=none: ANYONE WHO REACHES THE DASHBOARD'S PORT "
            "SEES EVERY PAGE. Keep it bound to 127.0.0.1 or turn sign-in back on.",
        )
        return app
    directory = Directory(warehouse_url)
    app.on_shutdown(directory.close)
    return SignInGate(app, directory, GateOptions.from_settings(settings))


def sign_out_control() -> NavPanel:
    """The navbar's sign-out button (a form, so that a link cannot sign anyone out)."""
    return ui.nav_control(
        ui.tags.form(
            ui.tags.a("Accounts", href="auth/users", class_="nav-link d-inline-block me-2"),
            ui.tags.button("Sign out", type="submit", class_="btn btn-sm btn-outline-secondary"),
            method="post",
            action="auth/sign-out",
            class_="d-flex align-items-center",
            id="sign-out",
        )
    )
