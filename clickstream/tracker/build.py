"""Build `clickstream.min.js` from `clickstream.js`: drop comments and indentation.

The source is written so that this safe, dependency-free step is enough (statements end
with semicolons; `//` only starts whole-line comments). `python -m clickstream.tracker.build`
rewrites the file; a test checks it is current and within the size budget.
"""

from __future__ import annotations

import gzip
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "clickstream.js"
MINIFIED = HERE / "clickstream.min.js"
BUDGET_BYTES = 2048

_BLOCK_COMMENT = re.compile(r"/\*.*?\*/", re.DOTALL)
_SPACE_AROUND = re.compile(r"\s*([{}()\[\];,:=<>?|&+*!-])\s*")


def _squeeze(line: str) -> str:
    # Only outside string literals: split on quotes and touch the even (code) parts.
    parts = re.split(r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|/(?:[^/\\\n]|\\.)+/g)", line)
    for index in range(0, len(parts), 2):
        parts[index] = _SPACE_AROUND.sub(r"\1", parts[index])
    return "".join(parts)


def minify(source: str) -> str:
    """The tracker without comments, indentation or spaces around punctuation."""
    source = _BLOCK_COMMENT.sub("", source)
    lines = []
    for raw in source.splitlines():
        line = raw.strip()
        if not line or line.startswith("//"):
            continue
        lines.append(_squeeze(line))
    return "\n".join(lines) + "\n"


def gzipped_size(text: str) -> int:
    """Bytes of `text` after gzip at the highest level."""
    return len(gzip.compress(text.encode(), compresslevel=9))


def build() -> int:
    """Write the minified file; return its gzipped size."""
    minified = minify(SOURCE.read_text())
    MINIFIED.write_text(minified)
    return gzipped_size(minified)


if __name__ == "__main__":
    size = build()
    print(f"{MINIFIED.name}: {len(MINIFIED.read_bytes())} bytes, {size} bytes gzipped")
