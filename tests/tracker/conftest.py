"""Fixtures of these tests."""

from tests.shop.fixtures import client, db, media_dir, shop_database_url, shop_engine, shop_server

__all__ = [
    "client",
    "db",
    "media_dir",
    "shop_database_url",
    "shop_engine",
    "shop_server",
]
