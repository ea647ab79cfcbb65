"""The tracker's minified build is current and within its 2 KB gzipped budget."""

from __future__ import annotations

import subprocess

from clickstream.tracker.build import BUDGET_BYTES, MINIFIED, SOURCE, gzipped_size, minify


def test_minified_tracker_is_built_from_the_current_source() -> None:
    assert MINIFIED.read_text() == minify(SOURCE.read_text()), (
        "run `python -m clickstream.tracker.build` after changing clickstream.js"
    )


def test_minified_tracker_is_at_most_2_kb_gzipped() -> None:
    size = gzipped_size(MINIFIED.read_text())
    assert size <= BUDGET_BYTES, f"clickstream.min.js is {size} bytes gzipped"


def test_minified_tracker_is_valid_javascript() -> None:
    # Chromium's V8 parses it in the browser tests too; node, when present, gives a fast check.
    import shutil

    node = shutil.which("node")
    if node is None:
        assert MINIFIED.read_text().startswith("(function(")
        return
    result = subprocess.run([node, "--check", str(MINIFIED)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
