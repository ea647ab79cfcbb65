"""SQL shipped in the package: whole scripts, and named statements (`-- name: x` blocks).

The ETL and the dashboard keep their SQL in `.sql` files beside their code; both read them
here, so a statement is cut out of its file the same way everywhere.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_NAME = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)


@cache
def script(package: str, filename: str) -> str:
    """The text of `filename` in `package`."""
    return (resources.files(package) / filename).read_text(encoding="utf-8")


@cache
def named(package: str, filename: str) -> dict[str, str]:
    """The `-- name: x` statements of `filename`, by name, without their trailing `;`.

    Whole-line comments are left out: between two statements they introduce the next one, and
    left in they would follow (and hide) the `;` of the one before.
    """
    parts = _NAME.split(script(package, filename))
    found: dict[str, str] = {}
    for i in range(1, len(parts) - 1, 2):
        body = "\n".join(
            line for line in parts[i + 1].strip().splitlines() if not line.startswith("--")
        )
        found[parts[i]] = body.strip().rstrip(";").strip()
    return found
