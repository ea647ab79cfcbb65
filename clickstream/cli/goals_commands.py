"""`clickstream goals add|list|remove`: the goals counted as conversions (docs/etl.md)."""

from __future__ import annotations

import click
import psycopg

from clickstream.cli.common import fail, resolve_settings, with_warehouse
from clickstream.settings import CommonSettings


@click.group()
def goals() -> None:
    """Goals: events (optionally on a page, with a property) counted as conversions."""


@goals.command("add")
@click.argument("name")
@click.option("--event", "event_name", required=True, help="The event that completes it.")
@click.option("--path", default=None, help="Only on this URL path, e.g. /thanks.")
@click.option("--prefix", is_flag=True, help="Match --path as a prefix (/docs/ matches below).")
@click.option("--property", "prop", default=None, help="Only with this property: key=value.")
def goals_add(name: str, event_name: str, path: str | None, prefix: bool, prop: str | None) -> None:
    """Define the goal NAME.

    It counts on the days the ETL derives from now on; `clickstream etl rebuild` (or
    `etl backfill --from ... --to ...`) applies it to the days before.

    Example: clickstream goals add "Pro sign-up" --event sign_up --property plan=pro
    """
    from clickstream.warehouse.goals import GoalExists, GoalInvalid, add_goal, make_goal

    try:
        goal = make_goal(name, event_name, path, prefix, prop)
    except GoalInvalid as exc:
        fail(str(exc), code=2)
    settings = resolve_settings(CommonSettings, "goals")
    problem = ""

    def work(url: str) -> None:
        nonlocal problem
        with psycopg.connect(url) as conn:
            try:
                add_goal(conn, goal)
            except GoalExists as exc:
                problem = str(exc)

    with_warehouse(settings, work)
    if problem:
        fail(problem)
    click.echo(f"added goal {goal.name}: {goal.describe()}")
    click.echo("it counts from the next ETL run; `clickstream etl rebuild` counts past days too")


@goals.command("list")
def goals_list() -> None:
    """List the goals: name and definition.

    Example: clickstream goals list
    """
    from clickstream.warehouse.goals import list_goals

    settings = resolve_settings(CommonSettings, "goals")

    def work(url: str) -> None:
        with psycopg.connect(url) as conn:
            defined = list_goals(conn)
        click.echo("name\tdefinition")
        for goal in defined:
            click.echo(f"{goal.name}\t{goal.describe()}")

    with_warehouse(settings, work)


@goals.command("remove")
@click.argument("name")
def goals_remove(name: str) -> None:
    """Remove the goal NAME (its counts on days already derived stay until they are derived
    again).

    Example: clickstream goals remove "Pro sign-up"
    """
    from clickstream.warehouse.goals import remove_goal

    settings = resolve_settings(CommonSettings, "goals")
    removed = False

    def work(url: str) -> None:
        nonlocal removed
        with psycopg.connect(url) as conn:
            removed = remove_goal(conn, name)

    with_warehouse(settings, work)
    if not removed:
        fail(f"goal {name!r} is not defined")
    click.echo(f"removed goal {name}")
