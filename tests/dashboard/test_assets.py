"""plotly.js is served by the app itself, unchanged but for V8's compile hint, at a URL named by
its content and cacheable for a year; the partial build installed by `make` when it is there,
otherwise the full build from the Python plotly package. The page loads nothing else large."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from clickstream.dashboard import assets
from clickstream.dashboard.app import create_app
from clickstream.dashboard.assets import COMPILE_HINT, FULL_PLOTLY, HintedScript, plotly_source
from tests.conftest import IN_CI, ServerThread
from tests.dashboard.conftest import as_dashboard, auth_off_settings


@pytest.fixture(scope="module")
def base_url(populated_url: str) -> Iterator[str]:
    with ServerThread(create_app(as_dashboard(populated_url), auth_off_settings())) as running:
        yield running.url


def _plotly_path(page: str) -> str:
    found = re.findall(r'<link rel="preload" href="(plotly-assets/plotly-[0-9a-f]+\.js)"', page)
    assert len(found) == 1, "the head preloads plotly.js once"
    return "/" + found[0]


def test_plotly_is_the_chosen_build_with_the_compile_hint_first_and_cached_long(
    base_url: str,
) -> None:
    page = httpx.get(base_url + "/").text
    path = _plotly_path(page)
    response = httpx.get(base_url + path)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.content == COMPILE_HINT + plotly_source().read_bytes()
    assert "immutable" in response.headers["cache-control"]
    assert "max-age=31536000" in response.headers["cache-control"]
    # Only the binding; no widget manager or other large script.
    assert "libembed" not in page and "widgetbundle" not in page
    binding_src = re.findall(r'<script src="(lib/clickstream-chart-[^"]*/chart\.js)"', page)
    assert len(binding_src) == 1
    binding = httpx.get(base_url + "/" + binding_src[0])
    assert binding.status_code == 200
    assert "Plotly.react" in binding.text


def test_the_partial_build_is_served_when_installed_and_the_full_one_otherwise(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "share" / "clickstream" / "plotly-cartesian.min.js"
    monkeypatch.setattr(assets, "PARTIAL_PLOTLY", missing)
    assert plotly_source() == FULL_PLOTLY
    missing.parent.mkdir(parents=True)
    missing.write_text("window.Plotly = {};\n")
    assert plotly_source() == missing
    # A different file is a different URL, so a browser never keeps a stale copy.
    assert HintedScript(missing).path != HintedScript(FULL_PLOTLY).path


def test_make_installed_the_partial_build_when_npm_is_here() -> None:
    # `make test` installs it (when npm exists); a machine without npm serves the full build.
    if assets.PARTIAL_PLOTLY.is_file():
        head = assets.PARTIAL_PLOTLY.read_bytes()[:200]
        assert b"plotly.js (cartesian" in head
        assert plotly_source() == assets.PARTIAL_PLOTLY
    elif IN_CI or shutil.which("npm"):
        # With npm (CI's machine has it) a missing build means `make test` lost its install step.
        pytest.fail(
            f"`make test` did not install the partial plotly.js build at {assets.PARTIAL_PLOTLY}"
        )
    else:
        pytest.skip("no npm on this machine, so `make` installs no partial plotly.js build")
