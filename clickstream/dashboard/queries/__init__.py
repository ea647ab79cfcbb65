"""The dashboard's questions to the warehouse: named, parameterised SQL in one file per page.

Each `<page>.sql` holds `-- name: x` statements. Every statement takes the filter parameters
of `Filters.params()` (plus `limit` or `rank` where it says so); nothing is ever formatted into
SQL text.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from typing import Final

PAGES: Final = ("overview", "funnel", "products", "behaviour", "sessions", "pipeline")
_NAME = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)


class QueryUnknown(KeyError):
    """No statement of that name in that page's SQL file."""


@cache
def statements(page: str) -> dict[str, str]:
    """The named statements of `page`.sql, without their trailing `;`."""
    if page not in PAGES:
        raise QueryUnknown(page)
    text = (resources.files(__package__) / f"{page}.sql").read_text(encoding="utf-8")
    parts = _NAME.split(text)
    found: dict[str, str] = {}
    for i in range(1, len(parts) - 1, 2):
        # Comment lines between statements belong to the next one's preamble, not this one.
        body = "\n".join(
            line for line in parts[i + 1].strip().splitlines() if not line.startswith("--")
        )
        found[parts[i]] = body.strip().rstrip(";").strip()
    return found


def statement(page: str, name: str) -> str:
    """One named statement of `page`."""
    try:
        return statements(page)[name]
    except KeyError:
        raise QueryUnknown(f"{page}.{name}") from None


def panels() -> list[tuple[str, str]]:
    """Every (page, name) pair, for the benchmark and the query tests."""
    return [(page, name) for page in PAGES for name in statements(page)]
