"""Shop fixtures shared by the shop, auth and tracker tests: a migrated, seeded shop database."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from clickstream import utc
from clickstream.auth.tokens import TokenInvalid, TokenPolicy, verify_token
from clickstream.events.record import Receipt
from clickstream.ingest.collector import Collector
from clickstream.lake import open_lake
from clickstream.settings import ShopSettings
from clickstream.shop.app import build_app, prepare_shop
from clickstream.shop.db import create_shop_engine, session_factory
from clickstream.shop.media import MediaStore
from tests.conftest import ServerThread


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """An empty media store folder (never the lake)."""
    path = tmp_path / "media"
    path.mkdir()
    return path


@pytest.fixture
def shop_database_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh database for the shop, apart from any warehouse database of the same test."""
    name = f"csshop_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield psycopg.conninfo.make_conninfo(pg_admin_url, dbname=name)
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.fixture
def shop_engine(shop_database_url: str, media_dir: Path) -> Iterator[Engine]:
    """A migrated shop database with the seeded catalogue."""
    engine = create_shop_engine(shop_database_url, pool_size=12)
    prepare_shop(engine, MediaStore(str(media_dir)))
    yield engine
    engine.dispose()


@pytest.fixture
def db(shop_engine: Engine) -> Iterator[Session]:
    """A session on the shop database."""
    with session_factory(shop_engine)() as session:
        yield session


def shop_settings(media_dir: Path, **overrides: object) -> ShopSettings:
    """Shop settings for tests: media in `media_dir`, a fast lock-out."""
    values: dict[str, object] = {
        "media_url": str(media_dir),
        "auth_max_failed_logins": 3,
        "auth_lockout_seconds": 60,
    }
    values.update(overrides)
    return ShopSettings(**values)  # type: ignore[arg-type]


@pytest.fixture
def shop_server(shop_engine: Engine, media_dir: Path) -> Iterator[ServerThread]:
    """The shop over real HTTP."""
    with ServerThread(build_app(shop_settings(media_dir), shop_engine)) as server:
        yield server


@pytest.fixture
def client(shop_server: ServerThread) -> Iterator[httpx.Client]:
    """A cookie-keeping HTTP client of the shop."""
    with httpx.Client(base_url=shop_server.url, timeout=20) as http:
        yield http


def authorizing_ingest(lake_dir: Path, shop_url: str, policy: TokenPolicy) -> CORSMiddleware:
    """The foundation's ingest core behind a bearer-token check against the shop's JWKS.

    Stands in for the ingest API's authorizer (a separate issue) in these tests.
    """
    collector = Collector(open_lake(str(lake_dir)), node_id="journey")

    async def collect(request: Request) -> JSONResponse:
        body = await request.body()
        user_id = issuer = None
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer "):
            key_set = httpx.get(f"{shop_url}/.well-known/jwks.json").json()
            try:
                claims = verify_token(header[7:], key_set, policy)
            except TokenInvalid:
                return JSONResponse({"error": "unauthorized"}, status_code=401)
            user_id, issuer = claims["sub"], claims["iss"]
        agent = request.headers.get("user-agent")
        receipt = Receipt(
            received_at=utc.now(),
            request_id=secrets.token_hex(8),
            node_id="journey",
            user_id=user_id,
            identity_source=issuer,
            user_agent=agent,
        )
        accepted = await run_in_threadpool(collector.collect, body, receipt)
        return JSONResponse({"accepted": len(accepted.event_ids)}, status_code=202)

    app = Starlette(routes=[Route("/clickstream", collect, methods=["POST"])])
    return CORSMiddleware(
        app,
        allow_origins=[shop_url],
        allow_methods=["POST"],
        allow_headers=["content-type", "authorization"],
    )
