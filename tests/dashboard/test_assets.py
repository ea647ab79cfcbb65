"""The two large front-end scripts are served from the installed packages with V8's compile
hint as their only change, and the page head loads plotly's module from the app itself."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from shinywidgets._dependencies import output_binding_dependency

from clickstream.dashboard.app import create_app
from clickstream.dashboard.assets import COMPILE_HINT
from clickstream.dashboard.charts import PLOTLY_ASSETS
from tests.conftest import ServerThread
from tests.dashboard.conftest import as_dashboard


@pytest.fixture(scope="module")
def base_url(populated_url: str) -> Iterator[str]:
    with ServerThread(create_app(as_dashboard(populated_url))) as running:
        yield running.url


def _widget_manager() -> tuple[str, Path]:
    paths = output_binding_dependency().source_path_map(lib_prefix="lib/")
    return f"/{paths['href']}/libembed-amd.js", Path(paths["source"]) / "libembed-amd.js"


def test_large_scripts_are_the_package_files_with_the_compile_hint_first(base_url: str) -> None:
    manager_path, manager_file = _widget_manager()
    for path, source in (
        ("/plotly-assets/widgetbundle.js", PLOTLY_ASSETS / "widgetbundle.js"),
        (manager_path, manager_file),
    ):
        response = httpx.get(base_url + path)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith("text/javascript")
        assert response.content == COMPILE_HINT + source.read_bytes()
        again = httpx.get(base_url + path, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""


def test_page_preloads_plotly_from_the_app_and_page_references_the_hinted_manager(
    base_url: str,
) -> None:
    page = httpx.get(base_url + "/").text
    assert '<link rel="modulepreload" href="plotly-assets/widgetbundle.js"' in page
    assert "Shiny.oncustommessage" in page
    assert _widget_manager()[0].lstrip("/") in page
