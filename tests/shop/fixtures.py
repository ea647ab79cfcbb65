"""Shop fixtures shared by the shop, auth and tracker tests: a migrated, seeded shop database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from clickstream.auth.tokens import TokenPolicy
from clickstream.ingest.configuration import IngestSettings
from clickstream.ingest.http.app import build_app as build_ingest
from clickstream.shop.app import build_app, prepare_shop
from clickstream.shop.configuration import ShopSettings
from clickstream.shop.db import create_shop_engine, session_factory
from clickstream.shop.media import MediaStore
from tests.conftest import ServerThread, scratch_database


@pytest.fixture
def media_dir(tmp_path: Path) -> Path:
    """An empty media store folder (never the lake)."""
    path = tmp_path / "media"
    path.mkdir()
    return path


@pytest.fixture
def shop_database_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh database for the shop, apart from any warehouse database of the same test."""
    with scratch_database(pg_admin_url, "csshop") as url:
        yield url


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


def authorizing_ingest(
    lake_dir: Path, shop_url: str, policy: TokenPolicy, data_dir: Path | None = None
) -> object:
    """The real ingest API, verifying the shop's tokens against its JWKS, allowing its origin.

    The background shipper moves the spool to the lake; stopping the server ships the rest.
    """
    settings = IngestSettings(  # type: ignore[call-arg]
        lake_url=str(lake_dir),
        data_dir=data_dir or lake_dir.parent / "ingest-data",
        node_id="journey",
        ingest_auth="optional",
        ingest_jwks_url=f"{shop_url}/.well-known/jwks.json",
        ingest_jwt_issuer=policy.issuer,
        ingest_jwt_audience=policy.audience,
        ingest_cors_origins=shop_url,
        ingest_rate_limit_per_second=0,
    )
    return build_ingest(settings)
