"""The collector serves the tracker: a stable URL, a content-hashed immutable one with its SRI
hash, loadable from any origin."""

from __future__ import annotations

import base64
import hashlib

import httpx

from clickstream.tracker.build import MINIFIED
from tests.ingest.conftest import Ingest


def test_the_stable_url_serves_the_built_tracker_revalidated_by_etag(ingest: Ingest) -> None:
    base = ingest.server.url
    response = httpx.get(base + "/clickstream.js", headers={"origin": "http://any.test"})

    assert response.status_code == 200
    assert response.content == MINIFIED.read_bytes()
    assert response.headers["content-type"].startswith("text/javascript")
    assert "max-age=3600" in response.headers["cache-control"]
    assert "immutable" not in response.headers["cache-control"]
    assert response.headers["access-control-allow-origin"] == "*"
    again = httpx.get(base + "/clickstream.js", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_the_versioned_url_is_immutable_and_its_integrity_matches_the_bytes(
    ingest: Ingest,
) -> None:
    base = ingest.server.url
    manifest = httpx.get(base + "/clickstream.json").json()
    versioned = httpx.get(manifest["versioned_url"])

    assert versioned.status_code == 200
    assert versioned.headers["cache-control"] == "public, max-age=31536000, immutable"
    digest = base64.b64encode(hashlib.sha384(versioned.content).digest()).decode()
    assert manifest["integrity"] == f"sha384-{digest}"
    assert manifest["url"] == base + "/clickstream.js"
    assert hashlib.sha256(versioned.content).hexdigest()[:16] in manifest["versioned_url"]
    assert httpx.get(base + "/clickstream-0000000000000000.js").status_code == 404
    assert httpx.post(base + "/clickstream.js").status_code == 405
