"""Browser, operating system and device type of a user agent, by a maintained parser library.

`user-agents` (the maintained `user-agents-ng` distribution) over `ua-parser` and its
`ua-parser-builtins` rules does the parsing; we only name the families the way the dashboards
show them (ua-parser says "Mobile Safari" and "Mac OS X", a shop owner says Safari and macOS).
Each distinct user agent is parsed once per process (`agent` is cached) and the transform asks
once per distinct agent of a batch (the `agents` table of `sql/transform.sql`), so parsing costs
little however many events a batch holds. `sql/useragent.sql` adds a list of bots the rules
leave as "Other" (HTTP clients, monitors).

The library is imported on first use, not with this module: ua-parser compiles its ~1,500
rules with Python's `re` on import (about 0.2 s of CPU), which every `clickstream` command
importing the ETL paid. A run starts the import in a thread of its own (`warm_up`), so it is
done while DuckDB, which leaves Python free, still reads the first batch's JSON.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from typing import TYPE_CHECKING, Final, NamedTuple

import duckdb

if TYPE_CHECKING:
    from user_agents.parsers import UserAgent

UNKNOWN: Final = "unknown"
OTHER: Final = "other"

# ua-parser's families, merged where a shop owner sees one browser or one system.
BROWSER_NAMES: Final = {
    "Mobile Safari": "Safari",
    "Mobile Safari UI/WKWebView": "Safari",
    "Safari UI/WKWebView": "Safari",
    "Chrome Mobile": "Chrome",
    "Chrome Mobile iOS": "Chrome",
    "Chrome Mobile WebView": "Chrome",
    "Chromium": "Chrome",
    "HeadlessChrome": "Chrome",
    "Firefox Mobile": "Firefox",
    "Firefox iOS": "Firefox",
    "Edge Mobile": "Edge",
    "Opera Mobile": "Opera",
    "Opera Mini": "Opera",
    "IE": "Internet Explorer",
    "IE Mobile": "Internet Explorer",
    "Other": OTHER,
}
OS_NAMES: Final = {
    "Mac OS X": "macOS",
    "Chrome OS": "ChromeOS",
    "Ubuntu": "Linux",
    "Fedora": "Linux",
    "Debian": "Linux",
    "Other": OTHER,
}


class Agent(NamedTuple):
    """What the dashboards show of one user agent."""

    browser: str
    os: str
    device_type: str


@functools.lru_cache(maxsize=65536)
def agent(user_agent: str | None) -> Agent:
    """The browser family, OS family and device type (desktop, mobile, tablet, bot, other)."""
    if user_agent is None or not user_agent.strip():
        return Agent(UNKNOWN, UNKNOWN, UNKNOWN)
    found = _parse(user_agent)
    if found.is_bot:
        device = "bot"
    elif found.is_tablet:
        device = "tablet"
    elif found.is_mobile:
        device = "mobile"
    elif found.is_pc:
        device = "desktop"
    else:
        device = OTHER
    browser = found.browser.family
    system = found.os.family
    return Agent(BROWSER_NAMES.get(browser, browser), OS_NAMES.get(system, system), device)


def _parse(user_agent: str) -> UserAgent:
    from user_agents import parse

    return parse(user_agent)


def warm_up() -> None:
    """Import the parser library in a daemon thread; `agent` then finds it imported (or waits
    for the import to finish, under Python's import lock)."""
    threading.Thread(target=_import_library, name="ua-parser-import", daemon=True).start()


def _import_library() -> None:
    # a failure here is `_parse`'s to report: it imports the library again
    with contextlib.suppress(Exception):
        import user_agents  # noqa: F401


def _browser(user_agent: str | None) -> str:
    return agent(user_agent).browser


def _os(user_agent: str | None) -> str:
    return agent(user_agent).os


def _device_type(user_agent: str | None) -> str:
    return agent(user_agent).device_type


def install(con: duckdb.DuckDBPyConnection) -> None:
    """Make `ua_library_browser`, `ua_library_os` and `ua_library_device` SQL functions of
    `con` (`sql/useragent.sql` builds on them)."""
    for name, function in (
        ("ua_library_browser", _browser),
        ("ua_library_os", _os),
        ("ua_library_device", _device_type),
    ):
        con.create_function(  # type: ignore[call-overload]  # "special" is accepted as text
            name,
            function,
            [duckdb.sqltype("VARCHAR")],
            duckdb.sqltype("VARCHAR"),
            null_handling="special",
            side_effects=False,
        )
