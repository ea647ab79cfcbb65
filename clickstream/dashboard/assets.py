"""The two large front-end scripts, served with V8's explicit compile hint.

plotly's widget module (`widgetbundle.js`, 5 MB) and shinywidgets' widget manager
(`libembed-amd.js`, 3.9 MB) are minified bundles whose code sits inside a few huge wrapper
functions. V8 compiles a function lazily, on the page's main thread, the first time it runs:
measured in Chromium's trace, about three quarters of the main thread's time before the
Overview was drawn went to that lazy compiling. A first line of `//# allFunctionsCalledOnLoad`
asks V8 (Chromium 136 and later) to compile every function of the file eagerly, on a
background thread while the file is still downloading; other browsers ignore the comment.
The files are read from the installed packages and served unchanged apart from that line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from htmltools import Tag, TagList, tags
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from clickstream.dashboard.charts import PLOTLY_ROUTE

COMPILE_HINT: Final = b"//# allFunctionsCalledOnLoad\n"
# Revalidated on every use: the body changes when the package is upgraded.
CACHE_CONTROL: Final = "no-cache"


@dataclass
class HintedScript:
    """One JavaScript file on disk, served with `COMPILE_HINT` as its first line."""

    source: Path
    _body: bytes | None = field(default=None, init=False, repr=False)
    _etag: str = field(default="", init=False, repr=False)

    def body(self) -> bytes:
        """The hinted file, read once."""
        if self._body is None:
            self._body = COMPILE_HINT + self.source.read_bytes()
            self._etag = f'"{hashlib.blake2b(self._body, digest_size=12).hexdigest()}"'
        return self._body

    async def respond(self, request: Request) -> Response:
        """The hinted file, or 304 when the browser holds this version."""
        body = self.body()
        headers = {"ETag": self._etag, "Cache-Control": CACHE_CONTROL}
        if request.headers.get("if-none-match") == self._etag:
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="text/javascript", headers=headers)


def hinted_route(path: str, source: Path) -> Route:
    """A GET route serving `source` at `path` with the compile hint."""
    return Route(path, HintedScript(source).respond, methods=["GET", "HEAD"])


# Runs plotly's module (fetched and compiled since the page started) once Shiny has sent its
# first message, so that the browser evaluates it while the server renders the first page,
# and holds back widget models until it has run: anywidget gives a model 2 s to load its
# module and logs "Failed to initialize model" after that, which a busy machine exceeded.
_LOADER = f"""
const plotly = new Promise((resolve) => {{
    $(document).one("shiny:connected", () => setTimeout(() => resolve(
        import("./{PLOTLY_ROUTE[1:]}/widgetbundle.js").catch(() => null)
    )));
}});
Shiny.oncustommessage = async (message) => {{
    if ("shinywidgets_comm_open" in message) await plotly;
}};
"""


def plotly_head() -> TagList:
    """Head tags that fetch plotly's module at once and run it while the session starts."""
    module: Tag = tags.script(_LOADER, type="module")
    return TagList(
        tags.link(rel="modulepreload", href=f"{PLOTLY_ROUTE[1:]}/widgetbundle.js"), module
    )
