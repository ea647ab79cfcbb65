"""Leaving a signed-in page while its batch is on the way loses nothing: the events stay queued
until the ingest API acknowledges them, and the next page sends them."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from clickstream.ingest.configuration import IngestSettings
from clickstream.ingest.http.app import build_app as build_ingest
from clickstream.ingest.http.asgi import ASGIApp, Receive, Scope, Send
from clickstream.tracker.build import MINIFIED
from tests.browser import chromium
from tests.conftest import ServerThread, free_port, lake_records

pytestmark = pytest.mark.browser
ISSUER, AUDIENCE = "https://shop.test", "clickstream"
QUEUE = "JSON.parse(localStorage.getItem('cs_q') || '[]')"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


class HoldFirstSignedInPost:
    """Around the real ingest: once armed, the next signed-in POST is held until released and
    then answered 503 without reaching the ingest (a send whose fate the page never learns)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.armed, self.held, self.release = (
            threading.Event(),
            threading.Event(),
            threading.Event(),
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        signed_in = (
            scope["type"] == "http" and scope["method"] == "POST" and b"authorization" in headers
        )
        if not (signed_in and self.armed.is_set() and not self.held.is_set()):
            await self.app(scope, receive, send)
            return
        self.held.set()
        await asyncio.to_thread(self.release.wait, 60)
        origin = headers.get(b"origin", b"")
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [(b"access-control-allow-origin", origin), (b"content-length", b"0")],
            }
        )
        await send({"type": "http.response.body", "body": b""})


def _signing(tmp_path: Path) -> tuple[Path, str]:
    """A JWKS file for the ingest and a token signed with its key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = RSAAlgorithm.to_jwk(key.public_key(), as_dict=True)
    jwks = tmp_path / "jwks.json"
    jwks.write_text(json.dumps({"keys": [{**public, "kid": "k1", "alg": "RS256", "use": "sig"}]}))
    claims = {"sub": "user-7", "iss": ISSUER, "aud": AUDIENCE, "exp": time.time() + 600}
    return jwks, jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})


def _site(ingest_url: str, token: str) -> Starlette:
    # Batches of three, and a timer too slow to matter: only size and page hide send.
    html = (
        f'<!doctype html><title>t</title><meta name="cs-token" content="{token}"><body>'
        f'<script src="/t.js" data-endpoint="{ingest_url}" data-batch="3" '
        'data-interval="600000"></script></body>'
    )

    async def page(request: object) -> Response:
        return HTMLResponse(html)

    async def tracker(request: object) -> Response:
        return Response(MINIFIED.read_bytes(), media_type="text/javascript")

    return Starlette(routes=[Route("/", page), Route("/next", page), Route("/t.js", tracker)])


def test_signed_in_events_sent_as_the_page_is_left_arrive_with_the_next_page(
    browser: Browser, tmp_path: Path, lake_dir: Path
) -> None:
    jwks, token = _signing(tmp_path)
    ingest_port = free_port()
    site_port = free_port()
    site_url = f"http://127.0.0.1:{site_port}"
    settings = IngestSettings(  # type: ignore[call-arg]
        lake_url=str(lake_dir),
        data_dir=tmp_path / "ingest-data",
        node_id="testnode",
        ingest_jwks_file=jwks,
        ingest_jwt_issuer=ISSUER,
        ingest_jwt_audience=AUDIENCE,
        ingest_cors_origins=site_url,
    )
    gate = HoldFirstSignedInPost(build_ingest(settings))  # type: ignore[arg-type]
    ingest_url = f"http://127.0.0.1:{ingest_port}/clickstream"
    with (
        ServerThread(gate, port=ingest_port),
        ServerThread(_site(ingest_url, token), port=site_port),
    ):
        context = browser.new_context()
        page = context.new_page()
        try:
            page.goto(site_url + "/")  # queues a page_view
            page.evaluate("clickstream('login')")
            leaving = page.evaluate(f"{QUEUE}.map(e => e.event_id)")
            gate.armed.set()
            page.goto(site_url + "/next")  # page hide sends the two; the answer never comes
            assert gate.held.wait(20), "the batch was not sent as the page was left"
            # The next page still has them queued, adds its page_view and sends the three.
            page.wait_for_function(f"{QUEUE}.length === 0", timeout=15000)
        finally:
            gate.release.set()
            context.close()

    records = lake_records(lake_dir)
    stored = [str(r["event_id"]) for r in records]
    assert len(leaving) == 2 and set(leaving) <= set(stored)
    assert sorted(str(r["event_name"]) for r in records) == ["login", "page_view", "page_view"]
    assert all(r["user_login_state"] == "logged_in" for r in records)
    assert len(stored) == len(set(stored))  # each event once
