"""The filters every page shares: the sites, a date range, a login state and whether bots count;
and a session's channel, country and device type."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Final

from shiny import Session, ui
from shiny.input_handler import input_handlers
from shiny.module import ResolvedId

from clickstream import utc
from clickstream.dashboard.warehouse import Warehouse, WarehouseUnavailable

LOGIN_STATES: Final = {"all": "All", "logged_in": "Logged in", "guest": "Guest"}
PRESETS: Final = {
    "7": "Last 7 days",
    "14": "Last 14 days",
    "30": "Last 30 days",
    "90": "Last 90 days",
    "custom": "Custom",
}


@dataclass(frozen=True)
class Filters:
    """Inclusive UTC days `start`..`end`, a login state (None = all) and bots in or out."""

    start: date
    end: date
    login_state: str | None = None
    include_bots: bool = False
    # A session's channel, country (ISO code) and device type; None = all (traffic_daily's
    # values: the Acquisition, Technology and Geography pages filter by them).
    channel: str | None = None
    country: str | None = None
    device_type: str | None = None
    # The sites whose numbers count (None = every site): the site selector's choice, narrowed
    # to those the signed-in account may see. Statements filter with
    # `(%(sites)s::text[] IS NULL OR site_id = ANY(%(sites)s::text[]))`.
    sites: tuple[str, ...] | None = None

    @property
    def days(self) -> int:
        """How many days the range covers."""
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The same filters over the equally long period just before this one."""
        end = self.start - timedelta(days=1)
        return replace(self, start=end - timedelta(days=self.days - 1), end=end)

    def params(self, **extra: object) -> dict[str, object]:
        """The parameters every dashboard statement takes, plus `extra`."""
        before = self.previous()
        return {
            "start": self.start,
            "end": self.end,
            "prev_start": before.start,
            "prev_end": before.end,
            "login": self.login_state,
            "bots": self.include_bots,
            "channel": self.channel,
            "country": self.country,
            "device": self.device_type,
            "sites": None if self.sites is None else list(self.sites),
            **extra,
        }

    def describe(self) -> str:
        """A one-line summary for page headers."""
        who = LOGIN_STATES.get(self.login_state or "all", "All").lower()
        bots = "bots included" if self.include_bots else "bots excluded"
        text = f"{self.start:%d %b %Y} to {self.end:%d %b %Y} · {who} visitors · {bots}"
        for value in (self.channel, self.country, self.device_type):
            if value is not None:
                text += f" · {value}"
        if self.sites is not None:
            text += " · " + (", ".join(self.sites) or "no site")
        return text


def last_days(days: int, today: date | None = None) -> tuple[date, date]:
    """The `days` days ending today (UTC), inclusive."""
    end = today or utc.now().date()
    return end - timedelta(days=max(1, days) - 1), end


def preset_days(preset: Any) -> int | None:
    """The number of days a `preset` value stands for; None for `custom` or anything unknown."""
    return (
        int(preset) if isinstance(preset, str) and preset in PRESETS and preset.isdigit() else None
    )


def is_preset(preset: Any) -> bool:
    """Whether `preset` is one of the sidebar's choices (a browser can send anything)."""
    return isinstance(preset, str) and (preset == "" or preset in PRESETS)


def _as_day(value: Any) -> date | None:
    # Shiny turns a well-formed string into a date and a malformed one into None; a client
    # talking to the websocket directly can still send strings, numbers or lists.
    return value if isinstance(value, date) else None


def _day_or_raw(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return datetime.strptime(value, "%Y-%m-%d").date()
        except ValueError:
            return value
    return value


def tolerant_dates(value: Any, name: ResolvedId, session: Session) -> Any:
    """Shiny's `shiny.date` input handler, minus its crash on values that are not strings.

    Shiny's own raises on a number or a short list (ending the session with a traceback);
    this one turns what parses into dates and leaves the rest for `dates_problem` to report.
    """
    if value is None:
        return None
    if isinstance(value, list | tuple):
        return tuple(_day_or_raw(part) for part in value)
    return _day_or_raw(value)


def install_input_handlers() -> None:
    """Use `tolerant_dates` for every date input of this process (idempotent)."""
    input_handlers.add("shiny.date", force=True)(tolerant_dates)


def dates_problem(dates: Any) -> str | None:
    """A message when the date range input holds something other than dates, else None."""
    if dates is None:
        return None
    pair = isinstance(dates, list | tuple) and len(dates) == 2
    if pair and all(value is None or isinstance(value, date) for value in dates):
        return None
    return "The date range was not understood (use YYYY-MM-DD): showing the default period."


def from_inputs(dates: Any, login_state: str, include_bots: bool, default_days: int) -> Filters:
    """Filters from the sidebar's raw inputs, repairing an empty, invalid or reversed range."""
    start = end = None
    if dates_problem(dates) is None and dates is not None:
        start, end = _as_day(dates[0]), _as_day(dates[1])
    if start is None or end is None:
        start, end = last_days(default_days)
    if start > end:
        start, end = end, start
    login = login_state if login_state in ("logged_in", "guest") else None
    return Filters(start, end, login, bool(include_bots))


def sidebar(default_days: int, today: date | None = None) -> ui.Sidebar:
    """The shared filter sidebar; its default range is the last `default_days` days."""
    start, end = last_days(default_days, today)
    preset = str(default_days) if str(default_days) in PRESETS else "custom"
    return ui.sidebar(
        ui.input_select(SITE_INPUT, "Site", {ALL: ALL_SITES}, selected=ALL),
        ui.input_select("preset", "Period", PRESETS, selected=preset),
        ui.input_date_range(
            "dates",
            "Date range (UTC)",
            start=start,
            end=end,
            max=end,
            format="yyyy-mm-dd",
            separator="to",
        ),
        ui.input_radio_buttons("login_state", "Login state", LOGIN_STATES, selected="all"),
        ui.input_switch("include_bots", "Include bots", value=False),
        *dimension_inputs(),
        ui.p(ui.output_text("filters_summary"), class_="small text-muted"),
        ui.output_ui("filters_problem"),
        title="Filters",
        id="filters",
        width=270,
    )


# The dimension filters: input id, label, the `Filters` field and the key of the choices that
# `traffic.sql`'s `filter_choices` lists.
DIMENSIONS: Final = (
    ("channel", "Channel", "channel"),
    ("country", "Country", "country"),
    ("device_type", "Device type", "device"),
)
ALL: Final = ""
# What the dimension filters narrow: every figure read from sessions (traffic_daily, or the
# sessions table in place of a daily roll-up), not the per page, product and event tables.
DIMENSIONS_SCOPE: Final = (
    "Channel, country and device type narrow every figure counted in sessions; the page, "
    "product and event tables stay whole."
)


def dimension_inputs() -> list[Any]:
    """A select per dimension filter, offering "All" until the server lists the values."""
    return [
        *(
            ui.input_select(name, label, {ALL: "All"}, selected=ALL)
            for name, label, _ in DIMENSIONS
        ),
        ui.p(DIMENSIONS_SCOPE, class_="small text-muted"),
    ]


def with_dimensions(
    filters: Filters, values: dict[str, Any], known: dict[str, set[str]]
) -> Filters:
    """`filters` narrowed to the chosen dimension values; a value not offered counts as all."""

    def chosen(name: str, key: str) -> str | None:
        value = values.get(name)
        return value if isinstance(value, str) and value in known.get(key, ()) else None

    return replace(
        filters,
        channel=chosen("channel", "channel"),
        country=chosen("country", "country"),
        device_type=chosen("device_type", "device"),
    )


def choices_of(warehouse: Warehouse, sites: tuple[str, ...] | None = None) -> dict[str, set[str]]:
    """The values each dimension filter offers (seen in the last year on `sites`, None: every
    site); none when the warehouse cannot say."""
    end = utc.now().date()
    params = Filters(end, end, sites=sites).params()
    try:
        rows = warehouse.rows("traffic", "filter_choices", params)
    except WarehouseUnavailable:
        return {}
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["dimension"], set()).add(row["value"])
    return found


# --- The site selector: "All sites" (those the account may see) or one of them ---

SITE_INPUT: Final = "site"
ALL_SITES: Final = "All sites"


def site_choices(warehouse: Warehouse, allowed: tuple[str, ...] | None) -> dict[str, str]:
    """The registered sites of `allowed` (None: every site) as the selector lists them,
    id -> "name (id)"; none when the warehouse cannot say."""
    params = {"sites": None if allowed is None else list(allowed)}
    try:
        rows = warehouse.rows("sites", "registered", params)
    except WarehouseUnavailable:
        return {}
    return {
        row["site_id"]: row["site_id"]
        if row["name"] in (None, "", row["site_id"])
        else f"{row['name']} ({row['site_id']})"
        for row in rows
    }


def with_site(
    filters: Filters, chosen: Any, allowed: tuple[str, ...] | None, offered: Iterable[str]
) -> Filters:
    """`filters` kept to the chosen site, or to every site the account may see (`allowed`,
    None: every site) when it chose "All sites" or something it was not offered: a browser can
    send any value, and a restricted account never gets NULL (every site) that way."""
    seen = isinstance(chosen, str) and chosen in set(offered)
    if seen and (allowed is None or chosen in allowed):
        return replace(filters, sites=(chosen,))
    return replace(filters, sites=allowed)
