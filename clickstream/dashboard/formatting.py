"""How numbers look on the dashboard: one function per kind, used by pages and tests alike."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from clickstream import utc

Number = int | float | Decimal | None
# Shown where a value is unknown or undefined (an en dash).
MISSING = "\u2013"


def count(value: Number) -> str:
    """A whole number with thousands separators; `MISSING` when unknown."""
    return MISSING if value is None else f"{int(value):,}"


# The shop's one currency, shown after every amount (`use_currency`; none until set).
_currency = ""


def use_currency(code: str) -> None:
    """Show `code` (ISO 4217) after every amount this process formats."""
    global _currency
    _currency = code


def money(value: Number) -> str:
    """An amount with two decimals and the shop's currency."""
    if value is None:
        return MISSING
    amount = f"{Decimal(value):,.2f}"
    return f"{amount} {_currency}" if _currency else amount


def percent(value: Number) -> str:
    """A ratio (0.125) as a percentage (12.5%)."""
    return MISSING if value is None else f"{float(value) * 100:.1f}%"


def decimal(value: Number, places: int = 1) -> str:
    """A plain decimal number."""
    return MISSING if value is None else f"{float(value):,.{places}f}"


def ratio(numerator: Number, denominator: Number) -> float | None:
    """`numerator / denominator`, or None when the denominator is zero or unknown."""
    if numerator is None or not denominator:
        return None
    return float(numerator) / float(denominator)


def change(current: Number, previous: Number) -> str:
    """The relative change from `previous` to `current`: `▲ 12.5%`, `▼ 3.0%`, `= 0.0%`, `new`."""
    if current is None or previous is None:
        return MISSING
    if not previous:
        return "=" if not current else "new"
    delta = (float(current) - float(previous)) / abs(float(previous))
    arrow = "▲" if delta > 0 else "▼" if delta < 0 else "="
    return f"{arrow} {abs(delta) * 100:.1f}%"


def duration(seconds: Number) -> str:
    """Seconds as `1m 05s` or `42s`."""
    if seconds is None:
        return MISSING
    total = round(float(seconds))
    minutes, secs = divmod(total, 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24}d {hours % 24:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def moment(value: datetime | None) -> str:
    """A UTC timestamp to the second."""
    return MISSING if value is None else f"{utc.as_utc(value):%Y-%m-%d %H:%M:%S} UTC"


def age(since: datetime | None, now: datetime | None = None) -> str:
    """How long ago `since` was, coarsely: `3h 12m`, `45s`."""
    if since is None:
        return "never"
    delta: timedelta = (now or utc.now()) - utc.as_utc(since)
    return duration(max(0.0, delta.total_seconds()))
