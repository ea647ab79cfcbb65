"""`clickstream api-tokens add|list|remove`: tokens of the dashboard's JSON API (docs/api.md)."""

from __future__ import annotations

import click

from clickstream.cli.common import fail, resolve_settings, with_warehouse
from clickstream.dashboard.configuration import DashboardSettings


@click.group("api-tokens")
def api_tokens() -> None:
    """Tokens for the JSON API under /api/v1 of the dashboard, and the sites each may read."""


@api_tokens.command("add")
@click.argument("name")
@click.option("--sites", required=True, help="Site ids whose numbers it may read (a,b), or all.")
def api_tokens_add(name: str, sites: str) -> None:
    """Make a token named NAME and print it once (only its SHA-256 is stored).

    Example: clickstream api-tokens add grafana --sites shop,blog
    """
    import psycopg

    from clickstream.dashboard.api.tokens import TokenInvalid, add_token, check_name
    from clickstream.dashboard.api.tokens import parse_token_sites as parse

    settings = resolve_settings(DashboardSettings, "api-tokens")
    try:
        site_ids = parse(sites)
        check_name(name)
    except TokenInvalid as exc:
        fail(str(exc), 2)

    def work(url: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                token = add_token(conn, name, site_ids)
            except TokenInvalid as exc:
                fail(str(exc), 2)
        shown = "all sites" if site_ids is None else ", ".join(site_ids)
        click.echo(f"added API token {name} ({shown})")
        click.echo(f"token (shown once, keep it secret): {token}")
        click.echo(f"use: curl -H 'Authorization: Bearer <token>' {_example(settings)}")

    with_warehouse(settings, work)


def _example(settings: DashboardSettings) -> str:
    return f"{settings.dashboard_base_url}/api/v1/overview/kpis"


@api_tokens.command("list")
def api_tokens_list() -> None:
    """List the API tokens: name, sites, created (never the tokens themselves).

    Example: clickstream api-tokens list
    """
    import psycopg

    from clickstream.dashboard.api.tokens import list_tokens

    settings = resolve_settings(DashboardSettings, "api-tokens")

    def work(url: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            found = list_tokens(conn)
        if not found:
            click.echo("no API tokens (clickstream api-tokens add NAME --sites all)")
        for token, created in found:
            click.echo(f"{token.name}\t{token.describe_sites()}\t{created}")

    with_warehouse(settings, work)


@api_tokens.command("remove")
@click.argument("name")
def api_tokens_remove(name: str) -> None:
    """Remove the token NAME: the API refuses it within two seconds.

    Example: clickstream api-tokens remove grafana
    """
    import psycopg

    from clickstream.dashboard.api.tokens import TokenNotFound, remove_token

    settings = resolve_settings(DashboardSettings, "api-tokens")

    def work(url: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                remove_token(conn, name)
            except TokenNotFound as exc:
                fail(str(exc))
        click.echo(f"removed API token {name}")

    with_warehouse(settings, work)
