"""Request plumbing for the shop's pages: the per-request context, CSRF and rendering.

Handlers are plain functions run in a thread pool with a database session, so blocking
SQLAlchemy work never stalls the event loop.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from jinja2 import Environment
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from clickstream import jsonio
from clickstream.auth.cognito import CognitoAccounts
from clickstream.auth.models import User, WebSession
from clickstream.auth.tokens import TokenPolicy, issue_tokens
from clickstream.auth.web import CsrfFailed, actor_from_request, check_csrf, load_session
from clickstream.auth.web import set_cookie as set_session_cookie
from clickstream.shop.cart import cart_id_for, load_cart
from clickstream.shop.configuration import ShopSettings
from clickstream.shop.media import MediaStore
from clickstream.shop.models import Category, Product
from clickstream.shop.throttle import AttemptLimiter


@dataclass
class ShopState:
    """What every request needs: settings, sessions, media, templates, tokens, attempt limits."""

    settings: ShopSettings
    sessions: sessionmaker  # type: ignore[type-arg]
    media: MediaStore
    templates: Environment
    policy: TokenPolicy
    attempts: AttemptLimiter
    categories: list[Category] = field(default_factory=list)
    accounts: CognitoAccounts | None = None  # CLICKSTREAM_AUTH_BACKEND=cognito


@dataclass
class Ctx:
    """One request: its form, database session, browser session and signed-in user."""

    request: Request
    state: ShopState
    db: Session
    session: WebSession
    user: User | None
    form: FormData | None
    cookie_secret: str | None = None

    @property
    def cart_id(self) -> str:
        """The cart this visitor uses."""
        return cart_id_for(self.session.id, self.user.id if self.user else None)

    def field(self, name: str) -> str:
        """A form field as text ('' when absent)."""
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, str) else ""

    def queue_event(self, name: str, fields: dict[str, Any] | None = None) -> None:
        """Have the next page the browser renders send this tracker event."""
        pending = jsonio.loads(self.session.pending_events or "[]")
        pending.append([name, fields or {}])
        self.session.pending_events = jsonio.dumps(pending[-20:]).decode()
        self.db.commit()

    def too_many_attempts(self) -> Response | None:
        """Count an account attempt from this client IP; a 429 page once it has made too many."""
        client = self.request.client.host if self.request.client else "unknown"
        wait = self.state.attempts.attempt(client)
        if wait is None:
            return None
        seconds = max(1, math.ceil(wait))
        response = self.render(
            "message.html",
            status=429,
            title="Too many attempts",
            message=f"Too many sign-in, sign-up or password reset attempts from your network. "
            f"Wait {seconds} seconds, then try again.",
        )
        response.headers["Retry-After"] = str(seconds)
        return response

    def media_url(self, key: str) -> str:
        """Where the browser fetches a media object (through the CDN when configured)."""
        base = (self.state.settings.shop_cdn_url or "").rstrip("/")
        return f"{base}/media/{key}"

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """Render a page with the layout's shared values; sends queued tracker events once."""
        events = list(values.pop("events", []))
        if self.session.pending_events:
            events = jsonio.loads(self.session.pending_events) + events
            self.session.pending_events = ""
            self.db.commit()
        token = refreshed = None
        if self.user is not None and self.state.accounts is not None:
            from clickstream.shop.cognito_pages import tracker_token

            token, refreshed = tracker_token(self)
        elif self.user is not None:
            token = issue_tokens(self.db, self.user, self.state.policy).access_token
        settings = self.state.settings
        html = self.state.templates.get_template(template).render(
            ctx=self,
            user=self.user,
            csrf=self.session.csrf_token,
            cart_count=load_cart(self.db, self.cart_id).item_count,
            categories=self.state.categories,
            access_token=token,
            tracker_events=jsonio.dumps(events).decode().replace("</", "<\\/"),
            ingest_url=settings.tracker_ingest_url,
            honour_dnt=settings.tracker_honour_dnt,
            currency=settings.shop_currency,
            **values,
        )
        response = HTMLResponse(html, status_code=status)
        if refreshed is not None:
            from clickstream.shop.cognito_pages import keep_tokens

            keep_tokens(response, refreshed, settings.shop_cookie_secure)
        return response


def item_fields(product: Product, quantity: int, paid: Decimal | None = None) -> dict[str, Any]:
    """One line of a tracker event's `items`: the product, its quantity and, for an order
    line, the unit price paid (as `discount_price` when it is not the list price), so that
    quantity * (discount_price or price) is the line's total in the shop's database."""
    fields: dict[str, Any] = {
        "id": str(product.id),
        "name": product.name,
        "category": product.category.name,
        "brand": product.brand.name,
        "price": float(product.price),
        "quantity": quantity,
    }
    unit = product.unit_price if paid is None else paid
    if unit != product.price:
        fields["discount_price"] = float(unit)
    return fields


def product_fields(product: Product, quantity: int | None = None) -> dict[str, Any]:
    """The `product` object of a tracker event."""
    fields: dict[str, Any] = {
        "id": str(product.id),
        "name": product.name,
        "category": product.category.name,
        "brand": product.brand.name,
        "price": float(product.price),
        "url_path": product.url_path,
    }
    if product.discount_price is not None:
        fields["discount_price"] = float(product.discount_price)
    if quantity is not None:
        fields["quantity"] = quantity
    return fields


def purchase_event_id(order_number: str) -> str:
    """The same event id for an order's `purchase`, however often its page is shown."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"clickstream:order:{order_number}"))


Handler = Callable[[Ctx], Response]


def page(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a sync handler: read the form, check CSRF on POST, run it with a session."""

    async def endpoint(request: Request) -> Response:
        form = await request.form() if request.method == "POST" else None
        state: ShopState = request.app.state.shop
        return await run_in_threadpool(_run, handler, request, state, form)

    return endpoint


def _run(handler: Handler, request: Request, state: ShopState, form: FormData | None) -> Response:
    with state.sessions() as db:
        session, secret = load_session(db, request)
        if form is not None:
            submitted = form.get("csrf")
            try:
                check_csrf(session, submitted if isinstance(submitted, str) else None)
            except CsrfFailed as exc:
                return PlainTextResponse(str(exc), status_code=403)
        ctx = Ctx(request, state, db, session, actor_from_request(db, session), form, secret)
        response = handler(ctx)
        if ctx.cookie_secret:
            set_session_cookie(response, ctx.cookie_secret, state.settings.shop_cookie_secure)
        response.headers.setdefault("Cache-Control", "no-store")
        return response
