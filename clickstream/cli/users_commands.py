"""`clickstream users add|list|remove|reset`: who may sign in to the dashboard."""

from __future__ import annotations

import sys
from datetime import timedelta

import click

from clickstream.cli.common import fail, resolve_settings, with_warehouse
from clickstream.dashboard.configuration import DashboardSettings

_password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from the first line of stdin."
)
_no_password = click.option(
    "--no-password",
    is_flag=True,
    help="No password: the account signs in by one-time link or single sign-on only.",
)
_link = click.option("--link", is_flag=True, help="Print a one-time sign-in link for it.")


def _password(password_stdin: bool, no_password: bool) -> str | None:
    if no_password:
        return None
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


def _print_link(conn_url: str, user_id: int, settings: DashboardSettings) -> None:
    import psycopg

    from clickstream.dashboard.signin.links import create_link, link_url

    with psycopg.connect(conn_url, autocommit=True) as conn:
        secret = create_link(conn, user_id, timedelta(hours=settings.dashboard_link_hours))
    hours = settings.dashboard_link_hours
    click.echo(f"one-time sign-in link (works once, for {hours:g} h):")
    click.echo(f"    {link_url(settings.dashboard_base_url, secret)}")


@click.group()
def users() -> None:
    """Dashboard accounts: roles (viewer, admin) and the sites each may see."""


@users.command("add")
@click.argument("login")
@click.option("--role", type=click.Choice(["viewer", "admin"]), default="viewer", show_default=True)
@click.option("--sites", default="all", show_default=True, help="Site ids it may see (a,b) or all.")
@_password_stdin
@_no_password
@_link
def users_add(
    login: str, role: str, sites: str, password_stdin: bool, no_password: bool, link: bool
) -> None:
    """Add a dashboard account.

    Example: clickstream users add ann@example.com --role viewer --sites shop,blog
    """
    import psycopg

    from clickstream.dashboard.signin.accounts import AccountInvalid, add_user, parse_sites

    settings = resolve_settings(DashboardSettings, "users")
    try:
        site_ids = parse_sites(sites)
    except AccountInvalid as exc:
        fail(str(exc), 2)
    password = _password(password_stdin, no_password)

    def work(url: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                user = add_user(conn, login, role, site_ids, password)
            except AccountInvalid as exc:
                fail(str(exc), 2)
        click.echo(f"added {user.login} ({user.role}, {user.describe_sites()})")
        if link:
            _print_link(url, user.user_id, settings)

    with_warehouse(settings, work)


@users.command("list")
def users_list() -> None:
    """List the dashboard accounts.

    Example: clickstream users list
    """
    import psycopg

    from clickstream.dashboard.signin.accounts import list_users

    settings = resolve_settings(DashboardSettings, "users")

    def work(url: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            found = list_users(conn)
        if not found:
            click.echo("no accounts (clickstream up creates the first admin)")
        for user in found:
            signs_in = "password" if user.password_hash else "link/sso"
            click.echo(f"{user.login}\t{user.role}\t{user.describe_sites()}\t{signs_in}")

    with_warehouse(settings, work)


@users.command("remove")
@click.argument("login")
def users_remove(login: str) -> None:
    """Remove a dashboard account; its sessions end at their next request.

    Example: clickstream users remove ann@example.com
    """
    import psycopg

    from clickstream.dashboard.signin.accounts import (
        AccountInvalid,
        AccountNotFound,
        remove_user,
    )

    settings = resolve_settings(DashboardSettings, "users")

    def work(url: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                remove_user(conn, login)
            except (AccountInvalid, AccountNotFound) as exc:
                fail(str(exc))
        click.echo(f"removed {login}")

    with_warehouse(settings, work)


@users.command("reset")
@click.argument("login")
@_password_stdin
@_no_password
@_link
def users_reset(login: str, password_stdin: bool, no_password: bool, link: bool) -> None:
    """Set a new password, sign the account out everywhere and void its unused links.

    Example: clickstream users reset admin --no-password --link
    """
    import psycopg

    from clickstream.dashboard.signin.accounts import AccountInvalid, AccountNotFound, reset_user

    settings = resolve_settings(DashboardSettings, "users")
    password = _password(password_stdin, no_password)

    def work(url: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            try:
                user = reset_user(conn, login, password)
            except AccountInvalid as exc:
                fail(str(exc), 2)
            except AccountNotFound as exc:
                fail(str(exc))
        click.echo(f"reset {user.login}: signed out everywhere")
        if link:
            _print_link(url, user.user_id, settings)

    with_warehouse(settings, work)
