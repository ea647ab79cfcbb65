"""The browser tracker, served by the collector itself so a site loads it from where it posts.

- `GET /clickstream.js`: the current tracker under a stable URL, revalidated hourly (ETag);
- `GET /clickstream-<hash>.js`: the same bytes under a content-hashed name, cacheable for a
  year (`immutable`), with `Access-Control-Allow-Origin: *` so a page can load it with
  Subresource Integrity (`integrity=... crossorigin="anonymous"`);
- `GET /clickstream.json`: both URLs (on the host the request named) and the SRI hash
  (`sha384-...`), which `clickstream sites snippet --pinned` prints as a snippet too.

A `<script>` needs no CORS to load; these paths answer before the CORS middleware, whose
allow-list is for posting events. The file is the tracker package's build output, read as
package data (the ingest does not import the tracker).
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from importlib import resources

from clickstream.ingest.http.asgi import ASGIApp, Receive, Scope, Send, header, send_json

STABLE_PATH = "/clickstream.js"
MANIFEST_PATH = "/clickstream.json"
VERSIONED_PATH = "/clickstream-{digest}.js"  # digest: TrackerFile.digest
STABLE_CACHE = b"public, max-age=3600, must-revalidate"
IMMUTABLE_CACHE = b"public, max-age=31536000, immutable"


@dataclass(frozen=True)
class TrackerFile:
    """The tracker's bytes, their versioned path, ETag and SRI hash."""

    body: bytes

    @property
    def digest(self) -> str:
        """The first 16 hex digits of the SHA-256 of the file."""
        return hashlib.sha256(self.body).hexdigest()[:16]

    @property
    def versioned_path(self) -> str:
        """The immutable, content-hashed path."""
        return VERSIONED_PATH.format(digest=self.digest)

    @property
    def integrity(self) -> str:
        """The Subresource Integrity value (`sha384-<base64>`)."""
        return "sha384-" + base64.b64encode(hashlib.sha384(self.body).digest()).decode()

    @property
    def etag(self) -> str:
        return f'"{self.digest}"'

    def manifest(self, base_url: str = "") -> dict[str, str]:
        """The stable and versioned URLs (under `base_url`) and the SRI hash."""
        return {
            "url": base_url + STABLE_PATH,
            "versioned_url": base_url + self.versioned_path,
            "integrity": self.integrity,
        }


def tracker_file() -> TrackerFile:
    """The built tracker (`clickstream/tracker/clickstream.min.js`)."""
    return TrackerFile((resources.files("clickstream.tracker") / "clickstream.min.js").read_bytes())


class TrackerRoutes:
    """Serves the tracker's paths; every other request goes to `app`."""

    def __init__(self, app: ASGIApp, tracker: TrackerFile | None = None) -> None:
        self.app = app
        self.tracker = tracker or tracker_file()

    @property
    def paths(self) -> frozenset[str]:
        """Every path served here (the OpenAPI document describes each)."""
        return frozenset({STABLE_PATH, self.tracker.versioned_path, MANIFEST_PATH})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        tracker = self.tracker
        if path == STABLE_PATH:
            cache = STABLE_CACHE
        elif path == tracker.versioned_path:
            cache = IMMUTABLE_CACHE
        elif path == MANIFEST_PATH and scope["method"] in ("GET", "HEAD"):
            host = header(scope, b"host")
            base = f"{scope.get('scheme', 'http')}://{host}" if host else ""
            await send_json(send, 200, tracker.manifest(base), [(b"cache-control", b"no-cache")])
            return
        else:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in ("GET", "HEAD"):
            await send_json(
                send,
                405,
                {"error": "method_not_allowed", "detail": "the tracker is read with GET"},
                [(b"allow", b"GET, HEAD")],
            )
            return
        fresh = header(scope, b"if-none-match") == tracker.etag
        headers = [
            (b"content-type", b"text/javascript; charset=utf-8"),
            (b"cache-control", cache),
            (b"etag", tracker.etag.encode()),
            (b"access-control-allow-origin", b"*"),
            (b"cross-origin-resource-policy", b"cross-origin"),
            (b"x-content-type-options", b"nosniff"),
        ]
        body = b"" if fresh or scope["method"] == "HEAD" else tracker.body
        headers.append((b"content-length", str(len(tracker.body) if not fresh else 0).encode()))
        status = 304 if fresh else 200
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
