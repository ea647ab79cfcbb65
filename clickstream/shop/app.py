"""The shop's ASGI app: pages, media, the tracker file, the JWKS and health."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine, select
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clickstream.auth.token_api import TokenApi
from clickstream.auth.tokens import TokenPolicy, jwks
from clickstream.shop import account_pages, pages
from clickstream.shop.catalogue import seed_catalogue
from clickstream.shop.configuration import ShopSettings
from clickstream.shop.db import migrate_shop, session_factory
from clickstream.shop.media import MediaNotFound, MediaStore, etag_of
from clickstream.shop.models import Category
from clickstream.shop.throttle import AttemptLimiter
from clickstream.shop.web import ShopState

TEMPLATES = Path(__file__).resolve().parent / "templates"
TRACKER = Path(__file__).resolve().parents[1] / "tracker" / "clickstream.min.js"
IMMUTABLE = "public, max-age=31536000, immutable"
MEDIA_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "jpg": "image/jpeg",
    "webp": "image/webp",
}


def token_policy(settings: ShopSettings) -> TokenPolicy:
    """The token policy the settings describe."""
    return TokenPolicy(
        issuer=settings.token_issuer,
        audience=settings.auth_audience,
        lifetime=timedelta(seconds=settings.auth_access_token_seconds),
        rotation=timedelta(days=settings.auth_key_rotation_days),
        grace=timedelta(days=settings.auth_key_grace_days),
    )


def prepare_shop(engine: Engine, media: MediaStore) -> int:
    """Migrate the shop database and seed the catalogue when empty; returns products added."""
    migrate_shop(engine)
    with session_factory(engine)() as db:
        return seed_catalogue(db, media)


def _cached(request: Request, data: bytes, media_type: str, cache: str) -> Response:
    etag = etag_of(data)
    # Media is never a document that may run script, even if opened directly.
    headers = {
        "ETag": etag,
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


def build_app(settings: ShopSettings, engine: Engine) -> Starlette:
    """The shop for an already migrated and seeded database."""
    media = MediaStore(settings.media_location)
    templates = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
    )
    sessions = session_factory(engine)
    with sessions() as db:
        categories = list(db.scalars(select(Category).order_by(Category.name)))
    attempts = AttemptLimiter(settings.auth_attempts_per_minute, window_seconds=60.0)
    state = ShopState(
        settings, sessions, media, templates, token_policy(settings), attempts, categories
    )
    if settings.auth_backend == "cognito":
        from clickstream.shop.cognito_pages import cognito_accounts

        state.accounts = cognito_accounts(settings)
    tracker = TRACKER.read_bytes()
    tracker_path = f"/static/clickstream-{hashlib.sha256(tracker).hexdigest()[:10]}.min.js"
    cdn = (settings.shop_cdn_url or "").rstrip("/")
    templates.globals["tracker_src"] = cdn + tracker_path

    async def media_file(request: Request) -> Response:
        key = request.path_params["key"]
        try:
            data = await run_in_threadpool(media.get, key)
        except MediaNotFound:
            return Response("not found", status_code=404, media_type="text/plain")
        kind = MEDIA_TYPES.get(key.rsplit(".", 1)[-1], "application/octet-stream")
        return _cached(request, data, kind, IMMUTABLE)

    async def tracker_file(request: Request) -> Response:
        return _cached(request, tracker, "text/javascript", IMMUTABLE)

    async def key_set(request: Request) -> Response:
        def read() -> dict[str, object]:
            with sessions() as db:
                return jwks(db, state.policy)

        return JSONResponse(await run_in_threadpool(read), headers={"Cache-Control": "max-age=300"})

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    routes = [
        Route("/", pages.home),
        Route("/category/{slug}", pages.category),
        Route("/product/{slug}", pages.product),
        Route("/search", pages.search),
        Route("/cart", pages.cart_page),
        Route("/cart/add", pages.cart_add, methods=["POST"]),
        Route("/cart/remove", pages.cart_remove, methods=["POST"]),
        Route("/checkout", pages.checkout_page),
        Route("/checkout", pages.checkout_submit, methods=["POST"]),
        Route("/orders", pages.order_history),
        Route("/orders/{number}", pages.order_detail),
        Route("/account/signup", account_pages.signup, methods=["GET", "POST"]),
        Route("/account/signin", account_pages.signin, methods=["GET", "POST"]),
        Route("/account/signout", account_pages.signout, methods=["POST"]),
        Route("/account/reset", account_pages.reset_request, methods=["GET", "POST"]),
        Route("/account/reset/{token}", account_pages.reset_link, methods=["GET", "POST"]),
        Route(account_pages.NEW_PASSWORD_PATH, account_pages.new_password, methods=["GET", "POST"]),
        Route("/account/confirm", account_pages.confirm, methods=["GET", "POST"]),
        Route("/account/reset-code", account_pages.reset_code, methods=["POST"]),
        Route("/media/{key:path}", media_file),
        Route(tracker_path, tracker_file),
        Route("/.well-known/jwks.json", key_set),
        Route("/healthz", healthz),
        *TokenApi(
            sessions,
            state.policy,
            timedelta(days=settings.auth_refresh_token_days),
            settings.auth_max_failed_logins,
            timedelta(seconds=settings.auth_lockout_seconds),
            attempts.attempt,
        ).routes(),
    ]
    app = Starlette(routes=routes)
    app.state.shop = state
    return app
