"""Goals and custom events in the derive: goal_daily, event_daily and event_property_daily
equal SQL over the raw events; a goal added later counts on past days after `etl rebuild`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest

from clickstream.etl.rebuild import rebuild
from clickstream.etl.run import run_etl
from clickstream.lake import open_lake
from clickstream.warehouse.goals import Goal, add_goal, make_goal
from tests.etl.lakefiles import HOUR, put, record

pytestmark = pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True)

SHOP = "https://shop.example"
GOALS = (
    make_goal("Signed up", "sign_up"),
    make_goal("Pro plan", "sign_up", prop="plan=pro"),
    make_goal("Thanks page", "page_view", path="/thanks"),
    make_goal("Docs", "page_view", path="/docs/", prefix=True),
    make_goal("Three seats", "sign_up", prop="seats=3"),
)


def _records() -> list[dict[str, Any]]:
    """Three days of sessions by guests, members and a bot, with custom events."""
    lines = []
    for day in range(3):
        at = HOUR + timedelta(days=day)
        for n in range(4 + day):
            who = dict(
                client_id=f"c{n % 3}",
                session_id=f"d{day}-s{n}",
                user_login_state="logged_in" if n % 2 else "guest",
                user_id=f"u{n}" if n % 2 else None,
            )
            if n == 3:
                who["user_agent"] = "Googlebot/2.1 (+http://www.google.com/bot.html)"
            t = at + timedelta(minutes=n)
            lines += [
                record("page_view", t, page_url=f"{SHOP}/docs/intro?x=1", **who),
                record("page_view", t, page_url=f"{SHOP}/documents", **who),
                record("page_view", t, page_url=f"{SHOP}/thanks#top", **who),
                record("page_view", t, page_url=f"{SHOP}/thanks/more", **who),
                record(
                    "sign_up",
                    t + timedelta(seconds=5),
                    page_url=f"{SHOP}/join",
                    properties={
                        "plan": "pro" if n % 3 == 0 else "free",
                        "seats": n,
                        "trial": n % 2 == 0,
                        "extra": {"a": 1},
                    },
                    **who,
                ),
                record("video_play", t, properties={"video": f"v{n % 2}"}, **who),
                record("video_play", t, properties=None, **who),
            ]
    # Many values and many keys: the property roll-up keeps 50 values per key and 30 keys
    # per event a day, and cuts strings at 100 characters.
    bounded = dict(client_id="c9", session_id="d0-wide")
    for i in range(55):
        lines.append(record("search", HOUR, properties={"query": f"q{i:02d}"}, **bounded))
    lines += [record("search", HOUR, properties={"query": "q54"}, **bounded) for _ in "ab"]
    wide = {f"k{j:02d}": "x" * 150 for j in range(35)}
    lines.append(record("wide", HOUR, properties=wide, **bounded))
    return lines


# The same counts from the raw events in PostgreSQL: a session's login state is logged_in if
# any of its events was, its bot flag if any was; visitors by client id.
RAW_SESSIONS = """
WITH s AS (
    SELECT session_id,
        CASE WHEN bool_or(user_login_state = 'logged_in') THEN 'logged_in' ELSE 'guest' END
            AS login_state,
        bool_or(is_bot) AS is_bot
    FROM clickstream_events GROUP BY session_id
)
SELECT e.*, regexp_replace(split_part(split_part(e.page_url, '?', 1), '#', 1),
        '^[a-z]+://[^/]*', '') AS path, s.login_state AS s_login, s.is_bot AS s_bot
FROM clickstream_events AS e JOIN s USING (session_id)
"""
RAW_GOAL = (
    "SELECT event_timestamp::date, %(name)s, s_login, s_bot, count(DISTINCT session_id)::int, "
    "count(*)::int, count(DISTINCT client_id)::int, site_id FROM (" + RAW_SESSIONS + ") AS e "
    "WHERE event_name = %(event)s "
    "AND (%(path)s::text IS NULL OR CASE WHEN %(match)s = 'exact' THEN path = %(path)s "
    "     ELSE starts_with(path, %(path)s) END) "
    "AND (%(key)s::text IS NULL OR (jsonb_typeof(properties -> %(key)s) "
    "     NOT IN ('object', 'array') AND properties ->> %(key)s = %(value)s)) "
    "GROUP BY 1, 3, 4, 8"
)
RAW_EVENTS = (
    "SELECT event_timestamp::date, event_name, s_login, s_bot, count(*)::int, "
    "count(DISTINCT session_id)::int, count(DISTINCT client_id)::int, site_id "
    "FROM (" + RAW_SESSIONS + ") AS e GROUP BY 1, 2, 3, 4, 8 ORDER BY 1, 2, 3, 4"
)
RAW_PROPERTIES = (
    "SELECT event_timestamp::date, event_name, p.key, s_login, s_bot, "
    "CASE jsonb_typeof(p.value) WHEN 'string' THEN p.value #>> '{}' WHEN 'object' "
    "THEN '(object)' ELSE p.value::text END, count(*)::int, count(DISTINCT session_id)::int, "
    "site_id FROM (" + RAW_SESSIONS + ") AS e, jsonb_each(e.properties) AS p "
    "WHERE event_name NOT IN ('search', 'wide') GROUP BY 1, 2, 3, 4, 5, 6, 9 "
    "ORDER BY 1, 2, 3, 4, 5, 6"
)
GOAL_DAILY = "SELECT * FROM goal_daily WHERE goal = %s ORDER BY day, login_state, is_bot"


def _raw_goal(conn: psycopg.Connection, goal: Goal) -> list[tuple[Any, ...]]:
    params = {
        "name": goal.name,
        "event": goal.event_name,
        "path": goal.path,
        "match": goal.path_match,
        "key": goal.property_key,
        "value": goal.property_value,
    }
    return sorted(conn.execute(RAW_GOAL, params).fetchall())


def test_goal_and_event_roll_ups_equal_sql_over_the_raw_events(
    warehouse_url: str, tmp_path: Path
) -> None:
    lake = open_lake(str(tmp_path / "lake"))
    lines = _records()
    put(lake, HOUR, lines)
    with psycopg.connect(warehouse_url) as conn:
        for goal in GOALS[:-1]:
            add_goal(conn, goal)
    assert run_etl(warehouse_url, lake).status == "succeeded"

    with psycopg.connect(warehouse_url) as conn:
        for goal in GOALS[:-1]:
            found = conn.execute(GOAL_DAILY, (goal.name,)).fetchall()
            assert found == _raw_goal(conn, goal), goal.name
            # The Python definition of a match agrees with the derive's SQL.
            matched = [
                r for r in lines if goal.matches(r["event_name"], r["page_url"], r["properties"])
            ]
            assert sum(row[5] for row in found) == len(matched) > 0, goal.name
        assert conn.execute("SELECT * FROM event_daily ORDER BY 1, 2, 3, 4").fetchall() == (
            conn.execute(RAW_EVENTS).fetchall()
        )
        assert (
            conn.execute(
                "SELECT * FROM event_property_daily WHERE event_name NOT IN ('search', 'wide') "
                "ORDER BY 1, 2, 3, 4, 5, 6"
            ).fetchall()
            == conn.execute(RAW_PROPERTIES).fetchall()
        )
        searches = dict(
            conn.execute(
                "SELECT value, events FROM event_property_daily WHERE event_name = 'search'"
            ).fetchall()
        )
        # q54 (sent three times) first, then q00..q48 by value; q49..q53 are the rest.
        assert searches == {"q54": 3, **{f"q{i:02d}": 1 for i in range(49)}, "(other)": 5}
        wide = conn.execute(
            "SELECT property, value FROM event_property_daily WHERE event_name = 'wide' "
            "ORDER BY property"
        ).fetchall()
        assert wide == [(f"k{j:02d}", "x" * 100) for j in range(30)]
        # The goal defined after the run has no rows yet.
        add_goal(conn, GOALS[-1])
        assert conn.execute(GOAL_DAILY, (GOALS[-1].name,)).fetchall() == []

    # `etl rebuild` counts it on the past days too.
    assert rebuild(warehouse_url, lake).status == "succeeded"
    with psycopg.connect(warehouse_url) as conn:
        found = conn.execute(GOAL_DAILY, (GOALS[-1].name,)).fetchall()
        assert found == _raw_goal(conn, GOALS[-1])
        assert json.dumps([str(row[0]) for row in found]) == (
            '["2026-11-24", "2026-11-25", "2026-11-26"]'
        )
