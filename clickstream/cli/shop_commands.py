"""`clickstream shop serve` and `clickstream demo traffic`."""

from __future__ import annotations

import logging

import click

from clickstream.cli.common import fail, listen_options, resolve_settings, serve
from clickstream.runtime.configuration import PlatformSettings
from clickstream.shop.configuration import ShopSettings


@click.group()
def shop() -> None:
    """The web shop, its accounts and the tracker it serves."""


@shop.command("serve")
@listen_options("SHOP")
def shop_serve(host: str | None, port: int | None) -> None:
    """Serve the shop, migrating its database and seeding the catalogue when empty.

    Example: clickstream shop serve --port 8000
    """
    from clickstream.runtime.databases import database_urls
    from clickstream.runtime.postgres import EmbeddedPostgresError
    from clickstream.shop.app import build_app, prepare_shop
    from clickstream.shop.db import create_shop_engine
    from clickstream.shop.media import MediaStore

    settings = resolve_settings(ShopSettings, "shop", shop_host=host, shop_port=port)
    try:
        with database_urls(settings, warehouse=False) as urls:
            engine = create_shop_engine(urls.shop)
            prepare_shop(engine, MediaStore(settings.media_location))
            serve(build_app(settings, engine), settings.shop_host, settings.shop_port)
    except EmbeddedPostgresError as exc:
        fail(str(exc))


@click.group()
def demo() -> None:
    """Demo data: realistic traffic through the real ingest API."""


@demo.command("traffic")
@click.option("--visitors", type=click.IntRange(1, 100_000), default=200, show_default=True)
@click.option("--days", type=click.IntRange(1, 7), default=7, show_default=True)
@click.option("--url", default=None, help="Ingest collect URL (default: the local ingest API).")
@click.option("--seed", type=int, default=None, help="Random seed for a repeatable run.")
def demo_traffic(visitors: int, days: int, url: str | None, seed: int | None) -> None:
    """Send realistic sessions for N visitors over the last D days through the ingest API.

    Timestamps are back-dated client times (within the ingest's allowed past skew): funnel
    drop-off, returning visitors, a signed-in share, a daily rhythm and a few bots.
    Example: clickstream demo traffic --visitors 300 --days 7
    """
    from clickstream.runtime.databases import database_urls
    from clickstream.runtime.postgres import EmbeddedPostgresError
    from clickstream.runtime.urls import platform_urls
    from clickstream.shop.app import prepare_shop, token_policy
    from clickstream.shop.db import create_shop_engine, session_factory
    from clickstream.shop.demo import DemoFailed, send_traffic, shop_tokens, under_limit
    from clickstream.shop.media import MediaStore

    settings = resolve_settings(PlatformSettings, "demo")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # not a line per request
    target = url or f"{settings.ingest_local_url}/clickstream"
    try:
        with database_urls(settings, warehouse=False) as urls:
            # Signed-in visitors carry real access tokens from the shop's signing key.
            engine = create_shop_engine(urls.shop, pool_size=2)
            prepare_shop(engine, MediaStore(settings.media_location))
            tokens = shop_tokens(session_factory(engine), token_policy(settings))
            report = send_traffic(
                target,
                visitors=visitors,
                days=days,
                seed=seed,
                tokens=tokens,
                base_url=platform_urls(settings).shop,
                pace=under_limit(
                    settings.ingest_rate_limit_per_second, settings.ingest_rate_limit_burst
                ),
            )
            engine.dispose()
    except (DemoFailed, EmbeddedPostgresError) as exc:
        fail(str(exc))
    click.echo(
        f"sent {report.events} events in {report.sessions} sessions "
        f"from {report.visitors} visitors ({report.bots} bots) to {target} in "
        f"{report.requests} requests ({report.throttled} throttled)"
    )
