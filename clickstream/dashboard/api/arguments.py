"""A request's query string as a statement's parameters, or the reason it is refused.

The common parameters become a `Filters`, exactly as the sidebar's inputs do, so the API runs
a statement with the parameters the page would; a statement's extra parameters are read by
their `Extra` declaration. Every refusal names the parameter and what it accepts.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

from clickstream.dashboard.api.catalogue import Endpoint, Extra
from clickstream.dashboard.api.tokens import ApiToken
from clickstream.dashboard.filters import Filters
from clickstream.warehouse.funnels import (
    MAX_WINDOW_DAYS,
    FunnelInvalid,
    parse_step,
    parse_window,
)

COMMON: Final = {
    "start": "First UTC day, YYYY-MM-DD (default: the dashboard's default period).",
    "end": "Last UTC day, YYYY-MM-DD, inclusive (default: today).",
    "site": "Site ids, comma-separated (default: every site the token may read).",
    "login": "Login state: all (default), logged_in or guest.",
    "bots": "Whether bot sessions count: false (default) or true.",
    "channel": "Only sessions of this channel (traffic statements).",
    "country": "Only sessions from this country code (traffic statements).",
    "device": "Only sessions on this device type (traffic statements).",
}
LOGINS: Final = ("all", "logged_in", "guest")
BOOLEANS: Final = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}
_SITE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_WHOLE = re.compile(r"^[0-9]{1,7}$")
MAX_TEXT: Final = 200


class RequestRefused(Exception):
    """The request cannot be answered: `status` and a message naming what was wrong."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Limits:
    """The period a request gets when it names none, and the longest it may ask."""

    default_days: int
    max_days: int


def statement_params(
    endpoint: Endpoint,
    query: Sequence[tuple[str, str]],
    token: ApiToken,
    limits: Limits,
    today: date,
) -> dict[str, object]:
    """The parameters `endpoint`'s statement runs with for `query`, as `token` may read.

    Raises `RequestRefused`: 400 for a malformed or unknown parameter, 403 for a site the
    token may not read.
    """
    values, repeated = _values(query, endpoint)
    filters = Filters(
        *_period(values, limits, today),
        login_state=_login(values.get("login")),
        include_bots=_boolean("bots", values.get("bots", "false")),
        channel=_text("channel", values.get("channel")),
        country=_text("country", values.get("country")),
        device_type=_text("device", values.get("device")),
        sites=_sites(values.get("site"), token, endpoint),
    )
    extras: dict[str, object] = {}
    for extra in endpoint.extras:
        if extra.kind == "steps":
            extras.update(_steps(extra, repeated.get(extra.name, [])))
        elif extra.kind == "window":
            extras.update(_window(values.get(extra.name, str(extra.default))))
        else:
            extras[extra.name] = _extra(extra, values.get(extra.name))
    return filters.params(**extras)


def _values(
    query: Sequence[tuple[str, str]], endpoint: Endpoint
) -> tuple[dict[str, str], dict[str, list[str]]]:
    """The query's parameters given once, and those that may repeat (each value in order)."""
    known = set(COMMON) | {extra.name for extra in endpoint.extras}
    repeatable = {extra.name for extra in endpoint.extras if extra.repeated}
    values: dict[str, str] = {}
    repeated: dict[str, list[str]] = {}
    for name, value in query:
        if name not in known:
            raise RequestRefused(
                400,
                f"unknown parameter {name!r}: {endpoint.page}/{endpoint.name} takes "
                f"{', '.join(sorted(known))}",
            )
        if name in repeatable:
            repeated.setdefault(name, []).append(value)
            continue
        if name in values:
            raise RequestRefused(400, f"parameter {name!r} is given more than once")
        values[name] = value
    return values, repeated


def _day(name: str, text: str) -> date:
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise RequestRefused(400, f"{name}: {text[:40]!r} is not a date (use YYYY-MM-DD)") from None


def _period(values: Mapping[str, str], limits: Limits, today: date) -> tuple[date, date]:
    end = _day("end", values["end"]) if "end" in values else today
    if "start" in values:
        start = _day("start", values["start"])
    else:
        start = end - timedelta(days=limits.default_days - 1)
    if start > end:
        raise RequestRefused(400, f"start {start} is after end {end}")
    days = (end - start).days + 1
    if days > limits.max_days:
        raise RequestRefused(
            400,
            f"the range {start} to {end} covers {days} days: at most {limits.max_days} "
            "(CLICKSTREAM_DASHBOARD_API_MAX_DAYS)",
        )
    return start, end


def _login(value: str | None) -> str | None:
    if value is None or value == "all":
        return None
    if value not in LOGINS:
        raise RequestRefused(400, f"login: {value[:40]!r} is not one of {', '.join(LOGINS)}")
    return value


def _boolean(name: str, value: str) -> bool:
    if value.lower() not in BOOLEANS:
        raise RequestRefused(400, f"{name}: {value[:40]!r} is not true or false")
    return BOOLEANS[value.lower()]


def _text(name: str, value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if len(value) > MAX_TEXT:
        raise RequestRefused(400, f"{name}: longer than {MAX_TEXT} characters")
    return value


def _sites(value: str | None, token: ApiToken, endpoint: Endpoint) -> tuple[str, ...] | None:
    asked = None
    if value is not None:
        asked = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
        bad = [site for site in asked if not _SITE.match(site)]
        if not asked or bad:
            shown = bad[0][:70] if bad else value[:70]
            raise RequestRefused(400, f"site: {shown!r} is not a site id (letters, digits, . _ -)")
    if token.sites is None:
        return asked
    for site in asked or ():
        if not token.may_read(site):
            raise RequestRefused(
                403,
                f"token {token.name!r} may not read site {site!r} "
                f"(it may read: {token.describe_sites()})",
            )
    if not endpoint.site_aware:
        raise RequestRefused(
            403,
            f"{endpoint.page}/{endpoint.name} does not filter by site, so only a token for "
            f"all sites may read it (token {token.name!r} may read: {token.describe_sites()})",
        )
    return asked or token.sites


def _extra(extra: Extra, value: str | None) -> int | str:
    if value is None:
        if extra.default is None:
            raise RequestRefused(400, f"parameter {extra.name!r} is required: {extra.description}")
        return extra.default
    if extra.kind == "integer":
        if not _WHOLE.match(value) or not 1 <= int(value) <= extra.maximum:
            raise RequestRefused(
                400, f"{extra.name}: {value[:40]!r} is not a whole number from 1 to {extra.maximum}"
            )
        return int(value)
    if extra.choices and value not in extra.choices:
        raise RequestRefused(
            400, f"{extra.name}: {value[:40]!r} is not one of {', '.join(extra.choices)}"
        )
    if not value or len(value) > MAX_TEXT:
        raise RequestRefused(400, f"{extra.name}: give 1 to {MAX_TEXT} characters")
    return value


def _steps(extra: Extra, texts: Sequence[str]) -> dict[str, object]:
    """A funnel's steps from repeated `step=kind:value` as `walk`'s two arrays."""
    if not texts:
        raise RequestRefused(400, f"parameter {extra.name!r} is required: {extra.description}")
    if len(texts) > extra.maximum:
        raise RequestRefused(
            400, f"{extra.name}: {len(texts)} steps given, at most {extra.maximum}"
        )
    try:
        steps = [parse_step(text[: MAX_TEXT + 1]) for text in texts]
    except FunnelInvalid as exc:
        raise RequestRefused(400, f"{extra.name}: {exc}") from None
    return {"step_kinds": [s.kind for s in steps], "step_values": [s.value for s in steps]}


def _window(text: str) -> dict[str, object]:
    """A funnel window (`session`, `none`, `Nd`) as `walk`'s window and window_days."""
    try:
        kind, days = parse_window(text[:40])
    except FunnelInvalid as exc:
        raise RequestRefused(400, f"window: {exc}") from None
    if days is not None and not 1 <= days <= MAX_WINDOW_DAYS:
        raise RequestRefused(400, f"window: {days} days, give 1 to {MAX_WINDOW_DAYS} days")
    return {"window": kind, "window_days": days or 0}
