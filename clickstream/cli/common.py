"""What every command shares: resolving settings, failing with a message, the warehouse URL."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, NoReturn, TypeVar

import click

from clickstream.ops.logging import configure_logging
from clickstream.settings import CommonSettings, SettingsInvalid, load

S = TypeVar("S", bound=CommonSettings)
C = TypeVar("C", bound=Callable[..., Any])
EXIT_USAGE = 2


def resolve_settings(cls: type[S], component: str, **overrides: Any) -> S:
    """Resolve settings or exit 2 with a message naming the bad variable; then set up logging."""
    try:
        resolved = load(cls, **overrides)
    except SettingsInvalid as exc:
        click.echo(f"clickstream: {exc}", err=True)
        sys.exit(EXIT_USAGE)
    configure_logging(resolved.log_level, component=component)
    return resolved


def fail(message: str, code: int = 1) -> NoReturn:
    """Print `message` on stderr and exit with `code`."""
    click.echo(f"clickstream: {message}", err=True)
    sys.exit(code)


def with_warehouse(
    settings: CommonSettings, work: Callable[[str], None], role: str = "etl"
) -> None:
    """Call `work` with the warehouse URL for `role` (etl, dashboard or admin)."""
    from clickstream.runtime.databases import database_urls, needs_embedded
    from clickstream.runtime.postgres import EmbeddedPostgresError
    from clickstream.warehouse.migrate import migrate

    try:
        with database_urls(settings, shop=False) as urls:
            if needs_embedded(settings, shop=False) and role != "admin":
                migrate(urls.admin)
            work(getattr(urls, role))
    except EmbeddedPostgresError as exc:
        fail(str(exc))


def listen_options(part: str) -> Callable[[C], C]:
    """A serve command's --host and --port, which override CLICKSTREAM_<PART>_HOST and _PORT."""

    def decorate(command: C) -> C:
        port = click.option(
            "--port", type=int, default=None, help=f"Listen port (CLICKSTREAM_{part}_PORT)."
        )
        host = click.option(
            "--host", default=None, help=f"Listen address (CLICKSTREAM_{part}_HOST)."
        )
        return host(port(command))

    return decorate


def serve(app: Any, host: str, port: int, grace_seconds: int = 5, **options: Any) -> None:
    """Run the ASGI `app` under uvicorn on `host`:`port` until stopped, without access logs."""
    import uvicorn

    uvicorn.run(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        timeout_graceful_shutdown=grace_seconds,
        **options,
    )
