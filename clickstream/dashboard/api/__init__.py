"""The numbers out: a read-only JSON API over the dashboard's statements (docs/api.md).

`catalogue` (which statements are served, from `queries/*.sql`), `arguments` (the query
string as a statement's parameters), `tokens` (API tokens, stored hashed), `openapi` (the
document), `routes` (the Starlette app beside the sign-in gate).
"""

from __future__ import annotations

from starlette.types import ASGIApp

from clickstream.dashboard.api.arguments import Limits
from clickstream.dashboard.api.routes import ApiMount, StatementApi
from clickstream.dashboard.api.tokens import TokenBook
from clickstream.dashboard.warehouse import Warehouse


def with_api(app: ASGIApp, warehouse: Warehouse, book: TokenBook, limits: Limits) -> ASGIApp:
    """`app` with the JSON API answering every path under /api/."""
    return ApiMount(app, StatementApi(warehouse, book, limits))


__all__ = ["Limits", "TokenBook", "with_api"]
