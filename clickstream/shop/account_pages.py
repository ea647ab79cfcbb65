"""Account pages: sign-up, sign-in, sign-out and password reset by one-time link.

A local sign-up signs the new account in at once, as sign-in does. No personal data or secret
ever sits in a page's URL (the tracker records every URL): the e-mail of a newly confirmed
Cognito account reaches the sign-in form in a short-lived cookie, and a reset link
trades its token for a cookie before any page is shown. Every POST here counts against the
client IP's attempt budget.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete
from starlette.responses import RedirectResponse, Response

from clickstream.auth.mail import send_mail
from clickstream.auth.models import User, WebSession
from clickstream.auth.passwords import PasswordRejected
from clickstream.auth.resets import ResetLinkInvalid, create_reset_token, is_usable, reset_password
from clickstream.auth.users import SignInFailed, SignUpRejected, find_user, sign_in, sign_up
from clickstream.auth.web import new_session, start_user_session
from clickstream.shop import cognito_pages
from clickstream.shop.cart import cart_id_for, merge_carts
from clickstream.shop.cognito_pages import NEW_ACCOUNT_COOKIE
from clickstream.shop.web import Ctx, page

RESET_COOKIE = "cs_reset"  # a reset link's token, once the link was opened
NEW_PASSWORD_PATH = "/account/new-password"  # noqa: S105 (a path, not a password)


def _safe_next(target: str) -> str:
    """Only same-site paths, so the sign-in form cannot redirect elsewhere."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


@page
def signup(ctx: Ctx) -> Response:
    """Create an account and sign it in, as sign-in would (Cognito asks for a code first)."""
    if ctx.form is None:
        return ctx.render("signup.html", title="Create an account")
    if (refused := ctx.too_many_attempts()) is not None:
        return refused
    if ctx.state.accounts is not None:
        return cognito_pages.signup(ctx)
    try:
        user = sign_up(ctx.db, ctx.field("email"), ctx.field("password"))
    except (SignUpRejected, PasswordRejected) as exc:
        return ctx.render(
            "signup.html", status=400, title="Create an account", error=str(exc),
            email=ctx.field("email"),
        )  # fmt: skip
    _enter(ctx, user)
    ctx.queue_event("sign_up")
    return RedirectResponse("/?welcome=1", status_code=303)


def _enter(ctx: Ctx, user: User) -> None:
    """Sign `user` into this browser: a fresh session id, and the guest cart joins theirs."""
    guest_cart = cart_id_for(ctx.session.id, None)
    ctx.session, ctx.cookie_secret = start_user_session(ctx.db, ctx.session, user)
    merge_carts(ctx.db, guest_cart, cart_id_for(ctx.session.id, user.id))
    ctx.user = user


@page
def signin(ctx: Ctx) -> Response:
    """Sign in; the guest cart joins the user's cart."""
    next_path = _safe_next(ctx.field("next") or ctx.request.query_params.get("next", "/"))
    if ctx.form is None:
        created = ctx.request.query_params.get("created") == "1"
        email = ctx.request.cookies.get(NEW_ACCOUNT_COOKIE, "") if created else ""
        reset = ctx.request.query_params.get("reset") == "1"
        page = ctx.render(
            "signin.html", title="Sign in", next=next_path, created=created, email=email,
            reset=reset,
        )  # fmt: skip
        if NEW_ACCOUNT_COOKIE in ctx.request.cookies:
            page.delete_cookie(NEW_ACCOUNT_COOKIE, path="/account/signin")
        return page
    if (refused := ctx.too_many_attempts()) is not None:
        return refused
    if ctx.state.accounts is not None:
        return cognito_pages.signin(ctx, next_path)
    settings = ctx.state.settings
    try:
        user = sign_in(
            ctx.db,
            ctx.field("email"),
            ctx.field("password"),
            settings.auth_max_failed_logins,
            timedelta(seconds=settings.auth_lockout_seconds),
        )
    except SignInFailed as exc:
        return ctx.render(
            "signin.html", status=401, title="Sign in", error=str(exc), next=next_path,
            email=ctx.field("email"),
        )  # fmt: skip
    _enter(ctx, user)
    ctx.queue_event("login")
    return RedirectResponse(next_path, status_code=303)


@page
def signout(ctx: Ctx) -> Response:
    """Sign out: the browser session ends and a fresh guest session begins."""
    pending = ctx.session.pending_events
    ctx.db.execute(delete(WebSession).where(WebSession.id == ctx.session.id))
    ctx.db.commit()
    ctx.session, ctx.cookie_secret = new_session(ctx.db)
    ctx.session.pending_events = pending
    ctx.user = None
    ctx.queue_event("logout")
    response = RedirectResponse("/", status_code=303)
    if ctx.state.accounts is not None:
        cognito_pages.forget_tokens(response)
    return response


@page
def reset_request(ctx: Ctx) -> Response:
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    if ctx.form is None:
        return ctx.render("reset_request.html", title="Reset your password")
    if (refused := ctx.too_many_attempts()) is not None:
        return refused
    if ctx.state.accounts is not None:
        return cognito_pages.reset_request(ctx)
    settings = ctx.state.settings
    user = find_user(ctx.db, ctx.field("email"))
    if user is not None:
        token = create_reset_token(
            ctx.db, user, timedelta(seconds=settings.auth_reset_token_seconds)
        )
        link = f"{settings.shop_public_url.rstrip('/')}/account/reset/{token}"
        send_mail(
            settings.smtp_url.get_secret_value() if settings.smtp_url else None,
            settings.smtp_sender,
            user.email,
            "Reset your password",
            f"Open this link to choose a new password (it works once):\n\n{link}\n",
        )
    return ctx.render(
        "message.html",
        title="Check your e-mail",
        message="If an account uses that address, a reset link is on its way.",
    )


def _link_not_valid(ctx: Ctx, message: str) -> Response:
    return ctx.render("message.html", status=400, title="Link not valid", message=message)


@page
def reset_link(ctx: Ctx) -> Response:
    """Open a reset link: its token moves to a cookie and the form is shown at a plain URL.

    A POST here (a client that kept the token in the URL) sets the password directly.
    """
    token = ctx.request.path_params["token"]
    if ctx.form is not None:
        return _set_new_password(ctx, token)
    if not is_usable(ctx.db, token):
        return _link_not_valid(ctx, "This reset link is invalid, expired or used already.")
    response = RedirectResponse(NEW_PASSWORD_PATH, status_code=303)
    response.set_cookie(
        RESET_COOKIE, token, max_age=ctx.state.settings.auth_reset_token_seconds,
        path=NEW_PASSWORD_PATH, httponly=True, samesite="lax",
        secure=ctx.state.settings.shop_cookie_secure,
    )  # fmt: skip
    return response


@page
def new_password(ctx: Ctx) -> Response:
    """Choose a new password with the token an opened reset link left in a cookie."""
    token = ctx.request.cookies.get(RESET_COOKIE, "")
    if ctx.form is not None:
        return _set_new_password(ctx, token)
    if not token or not is_usable(ctx.db, token):
        return _link_not_valid(ctx, "This reset link is invalid, expired or used already.")
    return ctx.render("reset.html", title="Choose a new password", action=NEW_PASSWORD_PATH)


def _set_new_password(ctx: Ctx, token: str) -> Response:
    if (refused := ctx.too_many_attempts()) is not None:
        return refused
    try:
        reset_password(ctx.db, token, ctx.field("password"))
    except ResetLinkInvalid as exc:
        return _link_not_valid(ctx, str(exc))
    except PasswordRejected as exc:
        return ctx.render(
            "reset.html", status=400, title="Choose a new password",
            action=ctx.request.url.path, error=str(exc),
        )  # fmt: skip
    response = RedirectResponse("/account/signin?reset=1", status_code=303)
    response.delete_cookie(RESET_COOKIE, path=NEW_PASSWORD_PATH)
    return response


@page
def confirm(ctx: Ctx) -> Response:
    """Confirm a new Cognito account with its e-mailed code (the local backend has none)."""
    if ctx.state.accounts is None:
        return _link_not_valid(ctx, "Accounts here need no confirmation code.")
    if ctx.form is not None and (refused := ctx.too_many_attempts()) is not None:
        return refused
    return cognito_pages.confirm(ctx)


@page
def reset_code(ctx: Ctx) -> Response:
    """Set a new password with a Cognito reset code (the local backend sends links)."""
    if ctx.state.accounts is None:
        return _link_not_valid(ctx, "Reset your password with the link you were sent.")
    if (refused := ctx.too_many_attempts()) is not None:
        return refused
    return cognito_pages.reset_code(ctx)
