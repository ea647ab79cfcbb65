"""SQL shipped with the ETL: whole scripts, and named statements (`-- name: x` blocks)."""

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
    """The `-- name: x` statements of `filename`, by name, without their trailing `;`."""
    text = script(package, filename)
    parts = _NAME.split(text)
    return {
        parts[i]: parts[i + 1].strip().rstrip(";").strip() for i in range(1, len(parts) - 1, 2)
    }
