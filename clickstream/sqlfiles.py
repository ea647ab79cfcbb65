"""SQL shipped in the package: whole scripts, and named statements (`-- name: x` blocks).

The ETL and the dashboard keep their SQL in `.sql` files beside their code; both read them
here, so a statement is cut out of its file the same way everywhere.

A condition that many statements share is written once, as a `-- part: x` block of the
package's `parts.sql`, and a statement says `{{x}}` where it goes: `named` puts the part's
text there, in parentheses and on one line. Reading refuses what could change a statement
unseen: a part named twice or holding a `--` comment, a statement naming a part that does
not exist, and any `{{` or `}}` left over once the parts are in.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

PARTS_FILE = "parts.sql"
_NAME = re.compile(r"^-- name: ([a-z_]+)\s*$", re.MULTILINE)
_PART = re.compile(r"^-- part: ([a-z_]+)\s*$", re.MULTILINE)
_USE = re.compile(r"\{\{([a-z_]+)\}\}")


class PartInvalid(ValueError):
    """A part, or a statement's use of parts, that `named` refuses; the message says which."""


class PartUnknown(PartInvalid):
    """A statement names a `{{part}}` that its package's `parts.sql` does not define."""


@cache
def script(package: str, filename: str) -> str:
    """The text of `filename` in `package`."""
    return (resources.files(package) / filename).read_text(encoding="utf-8")


def _blocks(header: re.Pattern[str], text: str, filename: str = "") -> dict[str, str]:
    """The blocks of `text` that `header` lines open, by name, without whole-line comments
    or a trailing `;`; a name opening two blocks is refused.

    Whole-line comments are left out: between two blocks they introduce the next one, and
    left in they would follow (and hide) the `;` of the one before.
    """
    pieces = header.split(text)
    found: dict[str, str] = {}
    for i in range(1, len(pieces) - 1, 2):
        if pieces[i] in found:
            raise PartInvalid(f"{filename}: {pieces[i]} is defined twice")
        body = "\n".join(
            line for line in pieces[i + 1].strip().splitlines() if not line.startswith("--")
        )
        found[pieces[i]] = body.strip().rstrip(";").strip()
    return found


@cache
def parts(package: str) -> dict[str, str]:
    """The `-- part: x` blocks of `package`'s `parts.sql` (none without one), each on one
    line in parentheses."""
    source = resources.files(package) / PARTS_FILE
    if not source.is_file():
        return {}
    blocks = _blocks(_PART, source.read_text(encoding="utf-8"), PARTS_FILE)
    for name, body in blocks.items():
        if "--" in body:
            raise PartInvalid(f"{PARTS_FILE}: {name} holds a -- comment (it would hide the rest)")
    return {
        name: "(" + " ".join(line.strip() for line in body.splitlines()) + ")"
        for name, body in blocks.items()
    }


@cache
def named(package: str, filename: str) -> dict[str, str]:
    """The `-- name: x` statements of `filename`, by name, with their `{{part}}`s filled in."""
    shared = parts(package)

    def fill(statement: str, text: str) -> str:
        def part(use: re.Match[str]) -> str:
            try:
                return shared[use[1]]
            except KeyError:
                raise PartUnknown(f"{filename}: {statement} uses {{{{{use[1]}}}}}") from None

        filled = _USE.sub(part, text)
        if "{{" in filled or "}}" in filled:
            raise PartInvalid(f"{filename}: {statement} has a {{{{ or }}}} that names no part")
        return filled

    statements = _blocks(_NAME, script(package, filename), filename)
    return {name: fill(name, body) for name, body in statements.items()}
