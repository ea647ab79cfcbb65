"""The JSON API on the dashboard's port: `/api/v1/{page}/{statement}` and the OpenAPI document.

It sits beside the sign-in gate, not behind it: requests carry an API token
(`Authorization: Bearer ...`), never the session cookie. Rows come from `Warehouse.rows`, the
call the pages make, with the parameters `Filters.params()` gives, so the API answers what
the panel shows. JSON goes through `jsonio`: dates and times ISO 8601, decimals as strings.
"""

from __future__ import annotations

from typing import Any, Final

import psycopg
import structlog
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from clickstream import jsonio, utc
from clickstream.dashboard.api.arguments import Limits, RequestRefused, statement_params
from clickstream.dashboard.api.catalogue import EXCLUDED, endpoints, undeclared
from clickstream.dashboard.api.openapi import OPENAPI_PATH, document
from clickstream.dashboard.api.tokens import ApiToken, TokenBook
from clickstream.dashboard.funnel_rows import funnel_rows
from clickstream.dashboard.queries import PAGES
from clickstream.dashboard.warehouse import Row, Warehouse, WarehouseUnavailable

log = structlog.get_logger("clickstream.dashboard.api")
PREFIX: Final = "/api/"
_HEADERS = {"Cache-Control": "no-store"}


def _json(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        jsonio.dumps(body),
        status_code=status,
        media_type="application/json",
        headers={**_HEADERS, **(headers or {})},
    )


def _error(status: int, message: str) -> Response:
    extra = {"WWW-Authenticate": 'Bearer realm="clickstream"'} if status == 401 else None
    return _json({"error": message}, status, extra)


def bearer_of(request: Request) -> str | None:
    """The bearer token of `request`'s Authorization header, or None."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    value = value.strip()
    return value if scheme.lower() == "bearer" and value else None


def _not_served(page: str, name: str) -> str:
    if page not in PAGES:
        return f"unknown page {page!r}: one of {', '.join(PAGES)}"
    if (page, name) in EXCLUDED:
        return f"{page}/{name} is not served by the API: {EXCLUDED[(page, name)]}"
    if (page, name) in undeclared():
        params = ", ".join(undeclared()[(page, name)])
        return f"{page}/{name} is not served by the API yet: it takes {params}, undeclared"
    names = [n for p, n in endpoints() if p == page]
    return f"unknown statement {name!r} of page {page!r}: one of {', '.join(names)}"


class StatementApi:
    """The API's routes over `warehouse`, checking tokens in `book`."""

    def __init__(self, warehouse: Warehouse, book: TokenBook, limits: Limits) -> None:
        self.warehouse = warehouse
        self.book = book
        self.limits = limits
        for (page, name), params in undeclared().items():
            log.warning("dashboard_api_statement_not_served", page=page, query=name, params=params)
        self.app = Starlette(
            routes=[
                Route(OPENAPI_PATH, self.openapi, methods=["GET"]),
                Route("/api/v1/{page}/{name}", self.statement, methods=["GET"]),
                Route("/api/{rest:path}", self.unknown),
            ]
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    async def openapi(self, _request: Request) -> Response:
        return _json(document())

    async def unknown(self, request: Request) -> Response:
        return _error(404, f"no API route {request.url.path}: see {OPENAPI_PATH}")

    async def _token(self, request: Request) -> ApiToken | Response:
        secret = bearer_of(request)
        if secret is None:
            return _error(
                401,
                "no bearer token: send Authorization: Bearer <token> "
                "(tokens: clickstream api-tokens add)",
            )
        try:
            token = await run_in_threadpool(self.book.token, secret)
        except psycopg.Error as exc:
            log.warning("dashboard_api_token_lookup_failed", error=type(exc).__name__)
            return _error(503, "the warehouse could not check the token right now")
        if token is None:
            return _error(401, "the bearer token is not known (mistyped, or removed)")
        return token

    def _rows(self, page: str, name: str, params: dict[str, object]) -> list[Row]:
        # funnels/walk answers from the saved funnels' roll-up when it can, as the page does.
        if (page, name) == ("funnels", "walk"):
            return funnel_rows(self.warehouse, params)
        return self.warehouse.rows(page, name, params)

    async def statement(self, request: Request) -> Response:
        page, name = str(request.path_params["page"]), str(request.path_params["name"])
        token = await self._token(request)
        if isinstance(token, Response):
            return token
        endpoint = endpoints().get((page, name))
        if endpoint is None:
            return _error(404, _not_served(page, name))
        try:
            params = statement_params(
                endpoint,
                request.query_params.multi_items(),
                token,
                self.limits,
                utc.now().date(),
            )
            rows = await run_in_threadpool(self._rows, page, name, params)
        except RequestRefused as refused:
            log.info(
                "dashboard_api_refused",
                page=page,
                query=name,
                token=token.name,
                status=refused.status,
                reason=refused.message,
            )
            return _error(refused.status, refused.message)
        except WarehouseUnavailable as exc:
            return _error(503, str(exc))
        log.info("dashboard_api_answered", page=page, query=name, token=token.name, rows=len(rows))
        return _json({"rows": rows, "filters": params})


class ApiMount:
    """ASGI: paths under /api/ go to `api`, everything else (lifespan included) to `app`."""

    def __init__(self, app: ASGIApp, api: ASGIApp) -> None:
        self.app = app
        self.api = api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and str(scope["path"]).startswith(PREFIX):
            await self.api(scope, receive, send)
        else:
            await self.app(scope, receive, send)
