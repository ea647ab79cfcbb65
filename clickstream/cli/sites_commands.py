"""`clickstream sites add|list|remove|snippet`: the registered sites (docs/tracking.md)."""

from __future__ import annotations

import click
import psycopg

from clickstream.cli.common import fail, resolve_settings, with_warehouse
from clickstream.settings import CommonSettings


@click.group()
def sites() -> None:
    """Registered sites: the properties that may send events, their origins and write keys."""


@sites.command("add")
@click.argument("site_id")
@click.option("--name", default="", help="A human name (defaults to the id).")
@click.option(
    "--origin",
    "origins",
    multiple=True,
    help="A browser origin its pages post from, e.g. https://blog.example (repeatable).",
)
@click.option("--write-key", default=None, help="Require this write key with its events.")
@click.option(
    "--generate-write-key", is_flag=True, help="Make a random write key and print it once."
)
def sites_add(
    site_id: str,
    name: str,
    origins: tuple[str, ...],
    write_key: str | None,
    generate_write_key: bool,
) -> None:
    """Register SITE_ID (or replace the site of that id).

    Ingest replicas see it within CLICKSTREAM_INGEST_SITES_REFRESH_SECONDS. Only a hash of
    the write key is stored: keep the key printed here.

    Example: clickstream sites add blog --name "The blog" --origin https://blog.example
    """
    from clickstream.warehouse.sites import SiteInvalid, make_site, new_write_key, save_site

    if write_key and generate_write_key:
        fail("give --write-key or --generate-write-key, not both", code=2)
    key = new_write_key() if generate_write_key else write_key
    try:
        site = make_site(site_id, name, list(origins), key)
    except SiteInvalid as exc:
        fail(str(exc), code=2)
    settings = resolve_settings(CommonSettings, "sites")

    def work(url: str) -> None:
        with psycopg.connect(url) as conn:
            save_site(conn, site)
        click.echo(
            f"registered {site.site_id} ({site.name}): origins {', '.join(site.origins) or '-'}"
        )
        if generate_write_key:
            click.echo(f"write key (shown once): {key}")

    with_warehouse(settings, work)


@sites.command("list")
def sites_list() -> None:
    """List the registered sites: id, name, write key (yes/no), origins.

    Example: clickstream sites list
    """
    from clickstream.warehouse.sites import list_sites

    settings = resolve_settings(CommonSettings, "sites")

    def work(url: str) -> None:
        with psycopg.connect(url) as conn:
            registered = list_sites(conn)
        click.echo("site_id\tname\twrite_key\torigins")
        for site in registered:
            key = "yes" if site.has_write_key else "no"
            click.echo(f"{site.site_id}\t{site.name}\t{key}\t{','.join(site.origins)}")

    with_warehouse(settings, work)


@sites.command("remove")
@click.argument("site_id")
def sites_remove(site_id: str) -> None:
    """Unregister SITE_ID: its new events are refused (403); stored events stay.

    Example: clickstream sites remove blog
    """
    from clickstream.warehouse.sites import remove_site

    settings = resolve_settings(CommonSettings, "sites")
    removed = False

    def work(url: str) -> None:
        nonlocal removed
        with psycopg.connect(url) as conn:
            removed = remove_site(conn, site_id)

    with_warehouse(settings, work)
    if not removed:
        fail(f"site {site_id!r} is not registered")
    click.echo(f"removed {site_id}")


@sites.command("snippet")
@click.argument("site_id")
@click.option(
    "--ingest-url",
    default=None,
    help="The ingest API's public base URL (default: this machine's ingest address).",
)
@click.option("--pinned", is_flag=True, help="Load the versioned file with its SRI hash.")
def sites_snippet(site_id: str, ingest_url: str | None, pinned: bool) -> None:
    """Print the two-line tracker snippet for SITE_ID's pages.

    Example: clickstream sites snippet blog --ingest-url https://ingest.example --pinned
    """
    from clickstream.ingest.configuration import IngestSettings
    from clickstream.ingest.http.tracker_file import tracker_file

    base = (ingest_url or resolve_settings(IngestSettings, "sites").ingest_local_url).rstrip("/")
    tracker = tracker_file()
    queue = (
        "<script>window.clickstream=window.clickstream||function(){"
        "(clickstream.q=clickstream.q||[]).push(arguments)}</script>"
    )
    if pinned:
        loader = (
            f'<script async src="{base}{tracker.versioned_path}" '
            f'integrity="{tracker.integrity}" crossorigin="anonymous" '
            f'data-site="{site_id}"></script>'
        )
    else:
        loader = f'<script async src="{base}/clickstream.js" data-site="{site_id}"></script>'
    click.echo(queue)
    click.echo(loader)
