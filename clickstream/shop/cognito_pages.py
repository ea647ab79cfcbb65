"""The account pages' Cognito side (`CLICKSTREAM_AUTH_BACKEND=cognito`, docs/aws.md).

Cognito keeps the passwords and e-mails the codes: sign-up is confirmed with a code, and a
password is reset with one (not a link). On sign-in the pool's ID token (the bearer the
tracker sends, so the ingest logs the shopper in) and its refresh token are kept in httponly
cookies; the signed-in user is the `users` row mirroring the Cognito account.
"""

from __future__ import annotations

import time

import jwt
from starlette.responses import RedirectResponse, Response

from clickstream.auth.cognito import CognitoAccounts, CognitoTokens, mirrored_user
from clickstream.auth.passwords import PasswordRejected
from clickstream.auth.resets import ResetLinkInvalid
from clickstream.auth.users import SignInFailed, SignUpRejected
from clickstream.auth.web import start_user_session
from clickstream.shop.cart import cart_id_for, merge_carts
from clickstream.shop.configuration import ShopSettings
from clickstream.shop.web import Ctx

ID_COOKIE = "cs_id_token"
REFRESH_COOKIE = "cs_refresh_token"
CONFIRM_COOKIE = "cs_confirm"  # the e-mail awaiting its sign-up code (never in a URL)
NEW_ACCOUNT_COOKIE = "cs_new_account"  # the e-mail just confirmed, for the sign-in form
_EARLY = 60  # seconds: a token this close to its expiry is refreshed first


def cognito_accounts(settings: ShopSettings) -> CognitoAccounts:
    """The pool the settings name; a clear error when one of its ids is missing."""
    if not settings.auth_cognito_pool_id or not settings.auth_cognito_client_id:
        raise ValueError(
            "CLICKSTREAM_AUTH_BACKEND=cognito needs CLICKSTREAM_AUTH_COGNITO_POOL_ID and "
            "CLICKSTREAM_AUTH_COGNITO_CLIENT_ID"
        )
    return CognitoAccounts(settings.auth_cognito_pool_id, settings.auth_cognito_client_id)


def keep_tokens(response: Response, tokens: CognitoTokens, secure: bool) -> None:
    """Keep the ID token (and a new refresh token) in httponly cookies."""
    response.set_cookie(
        ID_COOKIE, tokens.id_token, max_age=tokens.expires_in, httponly=True, samesite="lax",
        secure=secure,
    )  # fmt: skip
    if tokens.refresh_token:
        response.set_cookie(
            REFRESH_COOKIE, tokens.refresh_token, max_age=30 * 24 * 3600, httponly=True,
            samesite="lax", secure=secure,
        )  # fmt: skip


def tracker_token(ctx: Ctx) -> tuple[str | None, CognitoTokens | None]:
    """The ID token for the tracker, refreshed when it is (nearly) expired.

    Returns the token and, when it was refreshed, the tokens to keep in the response.
    """
    accounts = ctx.state.accounts
    assert accounts is not None
    token = ctx.request.cookies.get(ID_COOKIE)
    if token:
        claims = jwt.decode(token, options={"verify_signature": False})
        if float(claims.get("exp", 0)) > time.time() + _EARLY:
            return token, None
    refresh = ctx.request.cookies.get(REFRESH_COOKIE)
    if not refresh:
        return None, None
    try:
        tokens = accounts.refresh(refresh)
    except SignInFailed:
        return None, None
    return tokens.id_token, tokens


def signup(ctx: Ctx) -> Response:
    """Create the account in the pool; Cognito e-mails the code the next page asks for."""
    accounts = ctx.state.accounts
    assert accounts is not None
    try:
        accounts.sign_up(ctx.field("email"), ctx.field("password"))
    except (SignUpRejected, PasswordRejected) as exc:
        return ctx.render(
            "signup.html", status=400, title="Create an account", error=str(exc),
            email=ctx.field("email"),
        )  # fmt: skip
    ctx.queue_event("sign_up")
    response = RedirectResponse("/account/confirm", status_code=303)
    response.set_cookie(
        CONFIRM_COOKIE, ctx.field("email").strip(), max_age=3600, path="/account/confirm",
        httponly=True, samesite="lax", secure=ctx.state.settings.shop_cookie_secure,
    )  # fmt: skip
    return response


def confirm(ctx: Ctx) -> Response:
    """Confirm a new account with the e-mailed code, then go to sign-in."""
    accounts = ctx.state.accounts
    assert accounts is not None
    email = ctx.request.cookies.get(CONFIRM_COOKIE, "")
    if ctx.form is None:
        return ctx.render("confirm.html", title="Confirm your e-mail", email=email)
    try:
        accounts.confirm_sign_up(email or ctx.field("email"), ctx.field("code").strip())
    except SignUpRejected as exc:
        return ctx.render(
            "confirm.html", status=400, title="Confirm your e-mail", email=email,
            error=str(exc),
        )  # fmt: skip
    # Cognito signs in with the password, which this page does not have: the form is
    # filled in with the e-mail instead.
    response = RedirectResponse("/account/signin?created=1", status_code=303)
    response.delete_cookie(CONFIRM_COOKIE, path="/account/confirm")
    response.set_cookie(
        NEW_ACCOUNT_COOKIE, (email or ctx.field("email")).strip(), max_age=600,
        path="/account/signin", httponly=True, samesite="lax",
        secure=ctx.state.settings.shop_cookie_secure,
    )  # fmt: skip
    return response


def signin(ctx: Ctx, next_path: str) -> Response:
    """Sign in through the pool; the mirrored user gets a fresh browser session."""
    accounts = ctx.state.accounts
    assert accounts is not None
    try:
        tokens = accounts.sign_in(ctx.field("email"), ctx.field("password"))
    except SignInFailed as exc:
        return ctx.render(
            "signin.html", status=401, title="Sign in", error=str(exc), next=next_path,
            email=ctx.field("email"),
        )  # fmt: skip
    user = mirrored_user(ctx.db, *accounts.subject_of(tokens))
    guest_cart = cart_id_for(ctx.session.id, None)
    ctx.session, ctx.cookie_secret = start_user_session(ctx.db, ctx.session, user)
    merge_carts(ctx.db, guest_cart, cart_id_for(ctx.session.id, user.id))
    ctx.user = user
    ctx.queue_event("login")
    response = RedirectResponse(next_path, status_code=303)
    keep_tokens(response, tokens, ctx.state.settings.shop_cookie_secure)
    return response


def forget_tokens(response: Response) -> None:
    """Drop the pool's tokens (sign-out)."""
    response.delete_cookie(ID_COOKIE)
    response.delete_cookie(REFRESH_COOKIE)


def reset_request(ctx: Ctx) -> Response:
    """Have Cognito e-mail a code; the same answer whether or not the account exists."""
    accounts = ctx.state.accounts
    assert accounts is not None
    accounts.request_reset(ctx.field("email"))
    return ctx.render("reset_code.html", title="Check your e-mail", email=ctx.field("email"))


def reset_code(ctx: Ctx) -> Response:
    """Set a new password with the e-mailed code."""
    accounts = ctx.state.accounts
    assert accounts is not None
    email = ctx.field("email")
    try:
        accounts.reset_password(email, ctx.field("code").strip(), ctx.field("password"))
    except (ResetLinkInvalid, PasswordRejected) as exc:
        return ctx.render(
            "reset_code.html", status=400, title="Check your e-mail", email=email,
            error=str(exc),
        )  # fmt: skip
    return RedirectResponse("/account/signin?reset=1", status_code=303)
