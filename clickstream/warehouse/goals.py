"""Goals: the events that count as conversions, defined in the warehouse (docs/etl.md).

A goal names an event (`sign_up`), optionally narrowed to a page (the URL's path, exact or
as a prefix) and to one top-level key of the event's `properties` equal to a value (compared
as text: `plan=pro`, `items=3`, `trial=true`). The derive counts each goal per day in
`goal_daily`; a goal added later counts on the days derived after it, and on all past days
once `clickstream etl rebuild` (or `etl backfill` over a period) derives them again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import psycopg

from clickstream.events.schema import EVENT_NAME_PATTERN

GOAL_NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _.:/-]{0,63}$")
PATH_MATCHES = ("exact", "prefix")
MAX_PATH = 512
MAX_PROPERTY_KEY = 64
MAX_PROPERTY_VALUE = 256

_INSERT = """
INSERT INTO goals (name, event_name, path, path_match, property_key, property_value)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (name) DO NOTHING
"""
_SELECT = (
    "SELECT name, event_name, path, path_match, property_key, property_value FROM goals "
    "ORDER BY name"
)
_DELETE = "DELETE FROM goals WHERE name = %s"


class GoalInvalid(ValueError):
    """A goal definition breaks a rule; the message names the part and the rule."""


class GoalExists(ValueError):
    """A goal of that name is defined already."""


@dataclass(frozen=True)
class Goal:
    """One goal: an event name, and optionally a page path and a property that must match."""

    name: str
    event_name: str
    path: str | None = None
    path_match: str | None = None
    property_key: str | None = None
    property_value: str | None = None

    def describe(self) -> str:
        """The definition in a line, as `goals list` prints it."""
        parts = [f"event {self.event_name}"]
        if self.path is not None:
            parts.append(f"path {self.path_match} {self.path}")
        if self.property_key is not None:
            parts.append(f"property {self.property_key}={self.property_value}")
        return ", ".join(parts)

    def matches(self, event_name: str, page_url: str | None, properties: Any) -> bool:
        """Whether one event completes this goal (the derive's SQL says the same per day)."""
        if event_name != self.event_name:
            return False
        if self.path is not None:
            path = url_path(page_url)
            if path is None:
                return False
            if self.path_match == "exact" and path != self.path:
                return False
            if self.path_match == "prefix" and not path.startswith(self.path):
                return False
        if self.property_key is not None:
            if not isinstance(properties, dict) or self.property_key not in properties:
                return False
            return property_text(properties[self.property_key]) == self.property_value
        return True


def url_path(page_url: str | None) -> str | None:
    """The path of a page URL (`https://shop/a/b?x#y` -> `/a/b`); None without a path."""
    if not page_url:
        return None
    bare = page_url.split("?", 1)[0].split("#", 1)[0]
    found = re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/]*", bare)
    path = bare[found.end() :] if found else bare
    return path or None


def property_text(value: Any) -> str | None:
    """A property's value as a goal compares it: strings as they are, numbers and booleans
    as JSON writes them; None for null, objects and arrays (which no goal matches)."""
    if value is None or isinstance(value, dict | list):
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def make_goal(
    name: str,
    event_name: str,
    path: str | None = None,
    prefix: bool = False,
    prop: str | None = None,
) -> Goal:
    """A checked goal; `prop` is `key=value`; raises `GoalInvalid` naming what is wrong."""
    if not GOAL_NAME_PATTERN.match(name):
        raise GoalInvalid(
            f"goal name {name!r}: 1-64 letters, digits, spaces or _ . : / -, "
            "starting with a letter or digit"
        )
    if not re.match(EVENT_NAME_PATTERN, event_name):
        raise GoalInvalid(
            f"event name {event_name!r}: lower-case letters, digits and _, starting with a "
            "letter, at most 64 (as events are named)"
        )
    path_match = None
    if path is not None:
        if not path.startswith("/") or len(path) > MAX_PATH:
            raise GoalInvalid(f"path {path!r}: a URL path starting with / (at most {MAX_PATH})")
        if any(c in path for c in "?# \t\n"):
            raise GoalInvalid(f"path {path!r}: the path alone, without query, fragment or spaces")
        path_match = "prefix" if prefix else "exact"
    elif prefix:
        raise GoalInvalid("--prefix needs --path")
    key = value = None
    if prop is not None:
        key, sep, value = prop.partition("=")
        if not sep or not key or not value:
            raise GoalInvalid(f"property {prop!r}: write it as key=value")
        if len(key) > MAX_PROPERTY_KEY or len(value) > MAX_PROPERTY_VALUE:
            raise GoalInvalid(
                f"property {prop!r}: a key of at most {MAX_PROPERTY_KEY} characters and a "
                f"value of at most {MAX_PROPERTY_VALUE}"
            )
    return Goal(name, event_name, path, path_match, key, value)


def add_goal(conn: psycopg.Connection, goal: Goal) -> None:
    """Define `goal`; raises `GoalExists` when its name is taken (remove it first)."""
    with conn.transaction():
        done = conn.execute(
            _INSERT,
            (
                goal.name,
                goal.event_name,
                goal.path,
                goal.path_match,
                goal.property_key,
                goal.property_value,
            ),
        )
        if done.rowcount == 0:
            raise GoalExists(f"goal {goal.name!r} is defined already: remove it first")


def list_goals(conn: psycopg.Connection) -> list[Goal]:
    """Every goal, by name."""
    return [Goal(*row) for row in conn.execute(_SELECT).fetchall()]


def remove_goal(conn: psycopg.Connection, name: str) -> bool:
    """Remove the goal `name`; False when there was none. Its past `goal_daily` rows stay
    until those days are derived again."""
    with conn.transaction():
        return conn.execute(_DELETE, (name,)).rowcount > 0
