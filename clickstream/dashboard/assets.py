"""plotly.js and our chart output binding, served by the app itself.

plotly.js is the partial "cartesian" build (`plotly.js-cartesian-dist-min` from npm, 1.5 MB:
bar, scatter, pie, heatmap and a few more traces), which `make` installs into the venv at
`PARTIAL_PLOTLY`; without it (no npm on the machine) the full build shipped in the Python
`plotly` package (4.8 MB) is served instead, so the dashboard works either way. Nothing is
fetched at run time, and the page makes no outside requests.

The file is served with a first line of `//# allFunctionsCalledOnLoad`, V8's explicit compile
hint (Chromium 136 and later; other browsers ignore the comment): V8 then compiles every
function eagerly on a background thread while the file downloads, instead of lazily on the
page's main thread the first time each runs, which was most of that thread's time before the
first page was drawn. Its URL carries a hash of its content, so it can be cached for a year.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

import plotly
from htmltools import HTMLDependency, Tag, TagList, tags
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

COMPILE_HINT: Final = b"//# allFunctionsCalledOnLoad\n"
# Where the Makefile puts the partial build (`sys.prefix` is the venv).
PARTIAL_PLOTLY: Final = Path(sys.prefix) / "share" / "clickstream" / "plotly-cartesian.min.js"
FULL_PLOTLY: Final = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
# The URL changes with the content, so a browser may keep a fetched copy.
CACHE_CONTROL: Final = "public, max-age=31536000, immutable"
WWW: Final = Path(__file__).parent / "www"


def plotly_source() -> Path:
    """The plotly.js build to serve: the partial one when installed, else the full one."""
    return PARTIAL_PLOTLY if PARTIAL_PLOTLY.is_file() else FULL_PLOTLY


@dataclass(frozen=True)
class HintedScript:
    """One JavaScript file on disk, served with `COMPILE_HINT` as its first line at a URL
    that names its content."""

    source: Path

    @cached_property
    def body(self) -> bytes:
        """The hinted file, read once."""
        return COMPILE_HINT + self.source.read_bytes()

    @cached_property
    def path(self) -> str:
        """The URL path, e.g. `/plotly-assets/plotly-1a2b3c4d5e6f.js`."""
        digest = hashlib.blake2b(self.body, digest_size=6).hexdigest()
        return f"/plotly-assets/plotly-{digest}.js"

    async def respond(self, _request: Request) -> Response:
        """The hinted file; its URL changes whenever its content does."""
        return Response(
            self.body, media_type="text/javascript", headers={"Cache-Control": CACHE_CONTROL}
        )

    def route(self) -> Route:
        """A GET route serving the file at `path`."""
        return Route(self.path, self.respond, methods=["GET", "HEAD"])


def chart_binding() -> HTMLDependency:
    """Our Shiny output binding that draws chart outputs with plotly.js (`www/chart.js`)."""
    return HTMLDependency(
        "clickstream-chart",
        "1.0.0",
        source={"subdir": str(WWW)},
        script={"src": "chart.js"},
        all_files=False,
    )


def plotly_head(script: HintedScript) -> TagList:
    """Head tags: start fetching (and compiling) plotly.js at once; `chart.js` runs it once
    Shiny has connected, so it is evaluated while the server renders the first page."""
    link: Tag = tags.link(rel="preload", href=script.path[1:], id="plotly-js", **{"as": "script"})
    return TagList(link)
