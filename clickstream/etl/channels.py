"""Channel rules: ordered, editable rules that name the channel a visit came through.

The rules are data (a TOML file, `channels.toml` by default, or the user's own through
`CLICKSTREAM_ETL_CHANNEL_RULES`), loaded and checked here once per run, then handed to the
transform as a DuckDB table (`install`): `sql/acquisition.sql` matches each distinct landing
(page URL and referrer) of a batch against them, first match wins. Patterns are RE2 regular
expressions run by DuckDB, so they are checked by DuckDB too, and a bad file is refused with
the rule and field that are wrong.
"""

from __future__ import annotations

import functools
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import duckdb

# The fields a rule may test, as the transform names them (docs in channels.toml).
FIELDS: Final = ("source", "medium", "campaign", "referrer_host", "click_id")
DEFAULT_FALLBACK: Final = "Unassigned"


class ChannelRulesInvalid(ValueError):
    """The channel rules file is missing, is not TOML, or holds a rule that cannot be used."""


@dataclass(frozen=True)
class Rule:
    """One rule: the channel it names and a pattern per field it tests (full match, any case)."""

    channel: str
    conditions: dict[str, str]


@dataclass(frozen=True)
class ChannelRules:
    """Rules in the order they are tried, and the channel of a visit that matches none."""

    rules: tuple[Rule, ...]
    fallback: str = DEFAULT_FALLBACK

    @property
    def channels(self) -> list[str]:
        """Every channel the rules can give, in first-mention order, the fallback last."""
        seen = dict.fromkeys(rule.channel for rule in self.rules)
        seen.setdefault(self.fallback)
        return list(seen)


def default_rules_text() -> str:
    """The rules shipped with Clickstream (`etl/channels.toml`)."""
    return resources.files(__package__).joinpath("channels.toml").read_text(encoding="utf-8")


def load_rules(path: Path | None = None) -> ChannelRules:
    """The rules in `path`, or the shipped defaults; `ChannelRulesInvalid` says what is wrong."""
    if path is None:
        return _default_rules()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ChannelRulesInvalid(
            f"channel rules file {path} cannot be read: {exc.strerror or exc}"
        ) from None
    return parse_rules(text, f"channel rules file {path}")


@functools.cache
def _default_rules() -> ChannelRules:
    return parse_rules(default_rules_text(), "the default channel rules")


def parse_rules(text: str, origin: str = "channel rules") -> ChannelRules:
    """Rules from TOML text; `origin` names the text in errors."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ChannelRulesInvalid(f"{origin} is not valid TOML: {exc}") from None
    unknown = set(document) - {"rules", "fallback"}
    if unknown:
        raise ChannelRulesInvalid(
            f"{origin}: unknown top-level keys {sorted(unknown)} (expected `fallback` and "
            "`[[rules]]` tables)"
        )
    fallback = document.get("fallback", DEFAULT_FALLBACK)
    if not isinstance(fallback, str) or not fallback.strip():
        raise ChannelRulesInvalid(f"{origin}: `fallback` must be a channel name")
    entries = document.get("rules")
    if not isinstance(entries, list) or not entries:
        raise ChannelRulesInvalid(f"{origin}: no `[[rules]]` tables")
    with duckdb.connect(":memory:") as con:
        # Every pattern in one query (the shipped rules: 32 patterns, 0.035 s as 32 queries,
        # 0.004 s as one); only when one is invalid, one by one, to name the first.
        checked = None if _all_valid(entries, con) else con
        rules = tuple(
            _rule(entry, number, origin, checked) for number, entry in enumerate(entries, 1)
        )
    return ChannelRules(rules, fallback.strip())


def _all_valid(entries: list[Any], con: duckdb.DuckDBPyConnection) -> bool:
    """Whether DuckDB accepts every pattern string of `entries` (whatever else is wrong)."""
    patterns = [
        entry[field]
        for entry in entries
        if isinstance(entry, dict)
        for field in FIELDS
        if isinstance(entry.get(field), str)
    ]
    try:
        con.execute(
            "SELECT count(regexp_full_match('', pattern, 'i')) "
            "FROM unnest(?::VARCHAR[]) AS t(pattern)",
            [patterns],
        ).fetchall()
    except duckdb.Error:
        return False
    return True


def _rule(entry: Any, number: int, origin: str, con: duckdb.DuckDBPyConnection | None) -> Rule:
    """The rule `entry`; its patterns are checked on `con` unless None (known to be valid)."""
    where = f"{origin}, rule {number}"
    if not isinstance(entry, dict):
        raise ChannelRulesInvalid(f"{where}: a rule must be a table")
    channel = entry.get("channel")
    if not isinstance(channel, str) or not channel.strip():
        raise ChannelRulesInvalid(f"{where}: `channel` must name a channel")
    where = f"{where} ({channel})"
    unknown = set(entry) - {"channel", *FIELDS}
    if unknown:
        raise ChannelRulesInvalid(
            f"{where}: unknown fields {sorted(unknown)}; a rule may test {', '.join(FIELDS)}"
        )
    conditions = {field: entry[field] for field in FIELDS if field in entry}
    if not conditions:
        raise ChannelRulesInvalid(f"{where}: tests no field; give one of {', '.join(FIELDS)}")
    for field, pattern in conditions.items():
        if not isinstance(pattern, str):
            raise ChannelRulesInvalid(f"{where}: `{field}` must be a regular expression string")
        if con is None:
            continue
        try:
            con.execute("SELECT regexp_full_match('', ?, 'i')", [pattern]).fetchall()
        except duckdb.Error as exc:
            message = str(exc).splitlines()[0]
            raise ChannelRulesInvalid(
                f"{where}: `{field}` is not a valid regular expression: {message}"
            ) from None
    return Rule(channel.strip(), conditions)


def install(con: duckdb.DuckDBPyConnection, rules: ChannelRules) -> None:
    """Make `rules` the tables `channel_rules` and `channel_fallback` of `con`."""
    columns = ", ".join(f"{field} VARCHAR" for field in FIELDS)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE channel_rules (position INTEGER, channel VARCHAR, {columns})"
    )
    rows = [
        (position, rule.channel, *(rule.conditions.get(field) for field in FIELDS))
        for position, rule in enumerate(rules.rules)
    ]
    if not rows:
        return
    # One INSERT of every row: `executemany` ran one statement per rule, 0.05-0.07 s for the
    # shipped 27 rules on each of a run's three connections; this takes a few milliseconds.
    row_marks = "(" + ", ".join("?" for _ in range(2 + len(FIELDS))) + ")"
    con.execute(
        f"INSERT INTO channel_rules VALUES {', '.join(row_marks for _ in rows)}",
        [value for row in rows for value in row],
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE channel_fallback AS SELECT ?::VARCHAR AS channel",
        [rules.fallback],
    )
