"""EventBridge schedule expressions: `rate(1 hour)`, `rate(5 minutes)`, `cron(5 * * * ? *)`.

EventBridge cron has six fields: minutes, hours, day-of-month, month, day-of-week, year, with
`?` in one of the two day fields and day-of-week numbered 1 (Sunday) to 7 (Saturday).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from croniter import croniter

from clickstream import utc

_RATE = re.compile(r"^rate\(\s*(\d+)\s+([a-z]+)\s*\)$")
_CRON = re.compile(r"^cron\((.*)\)$")
_UNITS = {"minute": 60, "hour": 3600, "day": 86400}
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


class ScheduleExpressionInvalid(ValueError):
    """The text is not a valid EventBridge schedule expression; the message says why."""


@dataclass(frozen=True)
class Schedule:
    """A parsed expression that can say when it next fires."""

    expression: str
    interval: timedelta | None = None
    cron: str | None = None
    years: frozenset[int] | None = None

    def next_after(self, moment: datetime, anchor: datetime | None = None) -> datetime:
        """The first firing strictly after `moment`; rates count from `anchor` (default: moment)."""
        moment = utc.as_utc(moment)
        if self.interval is not None:
            start = utc.as_utc(anchor) if anchor else moment
            if start > moment:
                return start
            steps = int((moment - start) / self.interval) + 1
            return start + steps * self.interval
        assert self.cron is not None
        itr = croniter(self.cron, moment)
        for _ in range(100_000):
            candidate = utc.as_utc(itr.get_next(datetime))
            if self.years is None or candidate.year in self.years:
                return candidate
            if candidate.year > max(self.years):
                break
        raise ScheduleExpressionInvalid(f"{self.expression} never fires again after {moment}")


def parse(expression: str) -> Schedule:
    """Parse `rate(...)` or `cron(...)`; raise `ScheduleExpressionInvalid` with the reason."""
    text = expression.strip()
    rate = _RATE.match(text)
    if rate:
        return _parse_rate(text, int(rate[1]), rate[2])
    cron = _CRON.match(text)
    if cron:
        return _parse_cron(text, cron[1].split())
    raise ScheduleExpressionInvalid(
        f"{expression!r} is not a schedule expression; use rate(N minutes|hours|days) "
        "or cron(minutes hours day-of-month month day-of-week year), e.g. rate(1 hour) "
        "or cron(5 * * * ? *)"
    )


def _parse_rate(text: str, value: int, unit: str) -> Schedule:
    base = unit[:-1] if unit.endswith("s") else unit
    if base not in _UNITS:
        raise ScheduleExpressionInvalid(f"{text}: unit must be minute(s), hour(s) or day(s)")
    if value < 1:
        raise ScheduleExpressionInvalid(f"{text}: the rate must be a positive whole number")
    return Schedule(expression=text, interval=timedelta(seconds=value * _UNITS[base]))


def _parse_cron(text: str, fields: list[str]) -> Schedule:
    if len(fields) != 6:
        raise ScheduleExpressionInvalid(
            f"{text}: cron needs 6 fields (minutes hours day-of-month month day-of-week year), "
            f"got {len(fields)}"
        )
    minutes, hours, dom, month, dow, year = fields
    if (dom == "?") == (dow == "?"):
        raise ScheduleExpressionInvalid(
            f"{text}: exactly one of day-of-month and day-of-week must be '?'"
        )
    five = " ".join([minutes, hours, "*" if dom == "?" else dom, month, _dow(text, dow)])
    if not croniter.is_valid(five):
        raise ScheduleExpressionInvalid(f"{text}: a field is out of range or malformed")
    return Schedule(expression=text, cron=five, years=_years(text, year))


def _dow(text: str, field: str) -> str:
    """EventBridge day-of-week (1=SUN..7=SAT or names) to croniter's (0=SUN..6=SAT)."""
    if field in ("?", "*"):
        return "*"

    def convert(token: str) -> str:
        token = token.upper()
        if token in _DAYS:
            return str(_DAYS.index(token))
        if token.isdigit() and 1 <= int(token) <= 7:
            return str(int(token) - 1)
        raise ScheduleExpressionInvalid(f"{text}: day-of-week {token!r} must be 1-7 or SUN-SAT")

    out = []
    for part in field.split(","):
        if "#" in part:
            day, nth = part.split("#", 1)
            out.append(f"{convert(day)}#{nth}")
        elif "-" in part:
            first, last = part.split("-", 1)
            out.append(f"{convert(first)}-{convert(last)}")
        elif "/" in part:
            first, step = part.split("/", 1)
            out.append(f"{'*' if first == '*' else convert(first)}/{step}")
        else:
            out.append(convert(part))
    return ",".join(out)


def _years(text: str, field: str) -> frozenset[int] | None:
    if field == "*":
        return None
    years: set[int] = set()
    for part in field.split(","):
        bounds = part.split("-")
        if not all(b.isdigit() and 1970 <= int(b) <= 2199 for b in bounds) or len(bounds) > 2:
            raise ScheduleExpressionInvalid(f"{text}: year {part!r} must be 1970-2199 or a range")
        years.update(range(int(bounds[0]), int(bounds[-1]) + 1))
    return frozenset(years)
