"""`clickstream funnels add|list|remove`: saved custom funnels (docs/dashboard.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
import psycopg

from clickstream.cli.common import fail, resolve_settings, with_warehouse
from clickstream.settings import CommonSettings

if TYPE_CHECKING:
    from clickstream.warehouse.funnels import Funnel


@click.group()
def funnels() -> None:
    """Custom funnels: named steps (events, pages, goals) the dashboard counts."""


@funnels.command("add")
@click.argument("name")
@click.option(
    "--step",
    "steps",
    multiple=True,
    help="A step as kind:value (event:add_to_cart, page:/checkout, goal:NAME); repeat, in order.",
)
@click.option(
    "--window",
    default="session",
    show_default=True,
    help="session (all in one session), Nd (within N days of the first step), or none.",
)
@click.option("--site", default=None, help="The site it is for (default: any).")
@click.option("--replace", is_flag=True, help="Overwrite a funnel saved under NAME.")
def funnels_add(
    name: str, steps: tuple[str, ...], window: str, site: str | None, replace: bool
) -> None:
    """Save the funnel NAME (1 to 20 steps).

    Example: clickstream funnels add Checkout --step page:/cart --step event:begin_checkout
    --step event:purchase --window 7d
    """
    from clickstream.warehouse.funnel_days import is_precomputed
    from clickstream.warehouse.funnels import (
        FunnelExists,
        FunnelInvalid,
        add_funnel,
        make_funnel,
        parse_step,
        parse_window,
    )

    try:
        kind, days = parse_window(window)
        funnel = make_funnel(name, [parse_step(s) for s in steps], kind, days, site)
    except FunnelInvalid as exc:
        fail(str(exc), code=2)
    settings = resolve_settings(CommonSettings, "funnels")
    problem = ""
    filled: int | None = None  # None: not filled here (see _precompute)

    def work(url: str) -> None:
        nonlocal problem, filled
        with psycopg.connect(url) as conn:
            try:
                add_funnel(conn, funnel, replace)
            except FunnelExists as exc:
                problem = str(exc)
                return
        if is_precomputed(funnel):
            filled = _precompute(url, funnel)

    with_warehouse(settings, work)
    if problem:
        fail(problem)
    shown = " > ".join(s.describe() for s in funnel.steps)
    click.echo(f"saved funnel {funnel.name}: {shown} ({funnel.describe_window()})")
    if not is_precomputed(funnel):
        return
    if filled is None:
        click.echo("its days were not precomputed now: the next ETL runs do")
    elif filled:
        click.echo(f"precomputed {filled} rows of its days")


def _precompute(url: str, funnel: Funnel) -> int | None:
    """Fill the saved `funnel`'s days now, holding the ETL's lock; None when an ETL run (or
    backfill, rebuild, erasure) holds it or the fill failed: the next runs' derives fill them
    (the funnel is saved either way, and the dashboard walks it until then)."""
    from clickstream.warehouse.funnel_days import fill_new
    from clickstream.warehouse.locks import etl_lock

    with etl_lock(url) as conn:
        if conn is None:
            return None
        try:
            return fill_new(conn, funnel)
        except psycopg.Error as exc:
            click.echo(f"precomputing its days failed ({type(exc).__name__}): {exc}".strip())
            return None


@funnels.command("list")
def funnels_list() -> None:
    """List the saved funnels: name, window, site and steps.

    Example: clickstream funnels list
    """
    from clickstream.warehouse.funnels import list_funnels

    settings = resolve_settings(CommonSettings, "funnels")

    def work(url: str) -> None:
        with psycopg.connect(url) as conn:
            saved = list_funnels(conn)
        click.echo("name\twindow\tsite\tsteps")
        for funnel in saved:
            steps = " > ".join(s.describe() for s in funnel.steps)
            site = funnel.site_id or "any"
            click.echo(f"{funnel.name}\t{funnel.describe_window()}\t{site}\t{steps}")

    with_warehouse(settings, work)


@funnels.command("remove")
@click.argument("name")
def funnels_remove(name: str) -> None:
    """Remove the saved funnel NAME.

    Example: clickstream funnels remove Checkout
    """
    from clickstream.warehouse.funnels import remove_funnel

    settings = resolve_settings(CommonSettings, "funnels")
    removed = False

    def work(url: str) -> None:
        nonlocal removed
        with psycopg.connect(url) as conn:
            removed = remove_funnel(conn, name)

    with_warehouse(settings, work)
    if not removed:
        fail(f"funnel {name!r} is not saved")
    click.echo(f"removed funnel {name}")
