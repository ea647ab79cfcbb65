"""The retention and journey roll-ups (0095): behaviour over time, per site.

Three are derived per day like the other roll-ups (`derive.sql`): each visitor's day, each
day's step transitions around every step, and each day's entry and exit pages. Two are kept by
the derive's follow-up step (`etl/derive/retention.py`) across days: each visitor's first day,
and each day's active visitors by the day their cohort first came.
"""

from __future__ import annotations

from typing import Final

from clickstream.warehouse.schema.model import table

# One row per visitor (a session's client id, else the session's key) and day and site.
VISITOR_ACTIVITY_DAILY: Final = table(
    "visitor_activity_daily",
    "day date not null",
    "site_id text not null",
    "client_id text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "sessions integer not null",
    "purchasing_sessions integer not null",
    key=("day", "site_id", "client_id"),
)
# Around each occurrence of a step (`anchor`), the transition `depth` steps after it
# (1..3: from step depth-1 to step depth) or before it (-1..-3), with '(entrance)' and
# '(exit)' at a session's ends.
JOURNEY_DAILY: Final = table(
    "journey_daily",
    "day date not null",
    "site_id text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "anchor text not null",
    "depth integer not null",
    "step_from text not null",
    "step_to text not null",
    "transitions integer not null",
    key=("day", "site_id", "login_state", "is_bot", "anchor", "depth", "step_from", "step_to"),
)
# Sessions by their first (`kind` 'entry') and last ('exit') page, and those that purchased.
ENTRY_EXIT_DAILY: Final = table(
    "entry_exit_daily",
    "day date not null",
    "site_id text not null",
    "login_state text not null",
    "is_bot boolean not null",
    "kind text not null",
    "page text not null",
    "sessions integer not null",
    "purchasing_sessions integer not null",
    key=("day", "site_id", "login_state", "is_bot", "kind", "page"),
)
# The roll-ups `derive.sql` writes per day.
BEHAVIOUR_DERIVED: Final = (VISITOR_ACTIVITY_DAILY, JOURNEY_DAILY, ENTRY_EXIT_DAILY)

# Each visitor's first day on a site, with that day's login state and bot flag (the cohort's).
VISITOR_FIRST_SEEN: Final = table(
    "visitor_first_seen",
    "site_id text not null",
    "client_id text not null",
    "first_day date not null",
    "login_state text not null",
    "is_bot boolean not null",
    key=("site_id", "client_id"),
)
# Per active day and cohort (first day, its login state and bot flag): visitors active and
# purchasing that day, and those for whom that day is the first such in its ISO week (so a
# week's distinct visitors are a sum).
RETENTION_DAILY: Final = table(
    "retention_daily",
    "day date not null",
    "site_id text not null",
    "first_day date not null",
    "login_state text not null",
    "is_bot boolean not null",
    "visitors integer not null",
    "purchasers integer not null",
    "week_visitors integer not null",
    "week_purchasers integer not null",
    key=("day", "site_id", "first_day", "login_state", "is_bot"),
)
# Kept across days by the derive's follow-up step, not replaced per day.
COHORT_TABLES: Final = (VISITOR_FIRST_SEEN, RETENTION_DAILY)
