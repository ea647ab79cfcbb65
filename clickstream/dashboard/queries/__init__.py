"""The dashboard's questions to the warehouse: named, parameterised SQL in one file per page
(`traffic.sql` serves the three pages that break traffic_daily down: Acquisition, Technology
and Geography; `sites.sql` lists the site selector's choices).

Each `<name>.sql` holds `-- name: x` statements. Every statement takes the filter parameters
of `Filters.params()` (plus `limit`, `rank`, `event`, `property`, `dimension`, `grain`,
`periods` or `anchor` where it says so, and a custom funnel's steps and window in
`funnels.sql`); nothing is ever formatted into SQL text. Every statement that reads events
or roll-ups keeps to the chosen sites (`sites`); the pipeline's runs, quarantine and alarms
are shared.
"""

from __future__ import annotations

from typing import Final

from clickstream.sqlfiles import named

PAGES: Final = (
    "overview",
    "funnel",
    "products",
    "behaviour",
    "sessions",
    "pipeline",
    "traffic",
    "events",
    "funnels",
    "sites",
    "retention",
    "journeys",
)


class QueryUnknown(KeyError):
    """No statement of that name in that page's SQL file."""


def statements(page: str) -> dict[str, str]:
    """The named statements of `page`.sql, without their trailing `;`."""
    if page not in PAGES:
        raise QueryUnknown(page)
    return named(__name__, f"{page}.sql")


def statement(page: str, name: str) -> str:
    """One named statement of `page`."""
    try:
        return statements(page)[name]
    except KeyError:
        raise QueryUnknown(f"{page}.{name}") from None


def panels() -> list[tuple[str, str]]:
    """Every (page, name) pair, for the benchmark and the query tests."""
    return [(page, name) for page in PAGES for name in statements(page)]
