"""The user pool's token endpoints, as the original design's Cognito app client offered them.

- `POST /auth/token` with `grant_type=password` (`email`, `password`): signs in and answers
  an access token, an ID token and a refresh token; with `grant_type=refresh_token`
  (`refresh_token`): spends the refresh token and answers a new set (rotation).
- `POST /auth/signup` (`email`, `password`): creates the account and signs it in.
- `POST /auth/revoke` (`token`): signs out, revoking the refresh token's whole sign-in.

Bodies are JSON or form-encoded; answers are RFC 6749 token responses, never cached.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clickstream import jsonio
from clickstream.auth.passwords import PasswordRejected
from clickstream.auth.refresh import (
    RefreshRefused,
    issue_refresh_token,
    revoke_refresh_token,
    rotate_refresh_token,
)
from clickstream.auth.tokens import TokenPolicy, issue_token_set
from clickstream.auth.users import SignInFailed, SignUpRejected, sign_in, sign_up

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


class BodyInvalid(ValueError):
    """The request body is not a JSON object or a form; the message says why."""


@dataclass(frozen=True)
class TokenApi:
    """The endpoints over the shop database's `sessions`, throttled per client by `attempt`."""

    sessions: sessionmaker  # type: ignore[type-arg]
    policy: TokenPolicy
    refresh_lifetime: timedelta
    max_failures: int
    lockout: timedelta
    attempt: Callable[[str], float | None]  # None: allowed; else seconds to wait

    def routes(self) -> list[Route]:
        """The three routes, to add to the app that serves the JWKS."""
        return [
            Route("/auth/token", self.token, methods=["POST"]),
            Route("/auth/signup", self.signup, methods=["POST"]),
            Route("/auth/revoke", self.revoke, methods=["POST"]),
        ]

    async def token(self, request: Request) -> Response:
        """Sign in (password grant) or refresh (refresh_token grant)."""
        try:
            body = await _body(request)
        except BodyInvalid as exc:
            return _error("invalid_request", str(exc))
        grant = body.get("grant_type")
        if grant == "password":
            if (throttled := self._throttled(request)) is not None:
                return throttled
            email, password = body.get("email") or body.get("username", ""), body.get("password")
            if not email or not password:
                return _error("invalid_request", "send email and password")
            return await run_in_threadpool(self._password_grant, email, password)
        if grant == "refresh_token":
            if not body.get("refresh_token"):
                return _error("invalid_request", "send refresh_token")
            return await run_in_threadpool(self._refresh_grant, body["refresh_token"])
        return _error("unsupported_grant_type", "grant_type must be password or refresh_token")

    async def signup(self, request: Request) -> Response:
        """Create an account and answer its first token set (sign-up signs in)."""
        try:
            body = await _body(request)
        except BodyInvalid as exc:
            return _error("invalid_request", str(exc))
        if (throttled := self._throttled(request)) is not None:
            return throttled
        return await run_in_threadpool(
            self._sign_up, body.get("email", ""), body.get("password", "")
        )

    async def revoke(self, request: Request) -> Response:
        """Sign out: revoke the refresh token's sign-in. 200 whether or not it was known."""
        try:
            body = await _body(request)
        except BodyInvalid as exc:
            return _error("invalid_request", str(exc))
        token = body.get("token") or body.get("refresh_token")
        if not token:
            return _error("invalid_request", "send token (the refresh token)")
        with self.sessions() as db:
            await run_in_threadpool(revoke_refresh_token, db, token)
        return JSONResponse({}, headers=_NO_STORE)

    def _password_grant(self, email: str, password: str) -> Response:
        with self.sessions() as db:
            try:
                user = sign_in(db, email, password, self.max_failures, self.lockout)
            except SignInFailed as exc:
                return _error("invalid_grant", str(exc))
            return self._issued(db, user, issue_refresh_token(db, user, self.refresh_lifetime))

    def _refresh_grant(self, secret: str) -> Response:
        with self.sessions() as db:
            try:
                user, rotated = rotate_refresh_token(db, secret, self.refresh_lifetime)
            except RefreshRefused as exc:
                return _error("invalid_grant", str(exc))
            return self._issued(db, user, rotated)

    def _sign_up(self, email: str, password: str) -> Response:
        with self.sessions() as db:
            try:
                user = sign_up(db, email, password)
            except (SignUpRejected, PasswordRejected) as exc:
                return _error("invalid_request", str(exc))
            refresh = issue_refresh_token(db, user, self.refresh_lifetime)
            return self._issued(db, user, refresh, status=201)

    def _issued(self, db: Session, user: Any, refresh: str, status: int = 200) -> Response:
        issued = issue_token_set(db, user, self.policy, refresh)
        return JSONResponse(issued.response(), status_code=status, headers=_NO_STORE)

    def _throttled(self, request: Request) -> Response | None:
        wait = self.attempt(request.client.host if request.client else "unknown")
        if wait is None:
            return None
        seconds = max(1, math.ceil(wait))
        response = _error("slow_down", f"too many attempts; wait {seconds} seconds", 429)
        response.headers["Retry-After"] = str(seconds)
        return response


async def _body(request: Request) -> dict[str, str]:
    raw = await request.body()
    if len(raw) > 16_384:
        raise BodyInvalid("the body is larger than 16 KiB")
    if request.headers.get("content-type", "").startswith("application/json"):
        try:
            found = jsonio.loads(raw or b"{}")
        except ValueError:
            raise BodyInvalid("the body is not valid JSON") from None
        if not isinstance(found, dict):
            raise BodyInvalid("the body must be a JSON object")
        return {str(k): v for k, v in found.items() if isinstance(v, str)}
    form = parse_qs(raw.decode("utf-8", "replace"))
    return {key: values[0] for key, values in form.items()}


def _error(code: str, description: str, status: int = 400) -> JSONResponse:
    body = {"error": code, "error_description": description}
    return JSONResponse(body, status_code=status, headers=_NO_STORE)
