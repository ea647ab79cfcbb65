"""Sites at the ingest API over real HTTP, with the registry read from a real warehouse: the
default site for events without one, 403 for an unknown site or a wrong write key, CORS from
the registered origins, the last registry kept when the warehouse goes away."""

from __future__ import annotations

import gzip
import json
import time
from collections.abc import Callable, Iterator
from datetime import date

import httpx
import psycopg
import pytest

from clickstream.ingest.core.sites import DailySalts
from clickstream.ingest.registry import SiteRegistry
from clickstream.warehouse.migrate import migrate
from clickstream.warehouse.sites import make_site, save_site
from tests.conftest import free_port, scratch_database
from tests.ingest.conftest import Ingest

ONE_SERVER = pytest.mark.parametrize("pg_admin_url", ["system"], indirect=True)
BLOG = "http://blog.test:8081"


@pytest.fixture(scope="module")
def sites_url(pg_admin_url: str) -> Iterator[str]:
    """A migrated warehouse with two sites: `blog` (an origin, no key) and `keyed` (a key).

    Shared by the module: tests only add sites of their own.
    """
    with scratch_database(pg_admin_url) as url:
        migrate(url)
        with psycopg.connect(url) as conn:
            save_site(conn, make_site("blog", "The blog", [BLOG]))
            save_site(conn, make_site("keyed", "Server side", [], write_key="k-right"))
        yield url


@pytest.fixture
def site_ingest(make_ingest: Callable[..., Ingest], sites_url: str) -> Ingest:
    return make_ingest(
        ingest_ship_before_ack=True,
        ingest_sites_db_url=sites_url,
        ingest_sites_refresh_seconds=0.2,
    )


def _event(site: str | None = None, **fields: object) -> dict[str, object]:
    event: dict[str, object] = {"event_name": "page_view", "client_id": "c1", **fields}
    if site is not None:
        event["site_id"] = site
    return event


@ONE_SERVER
def test_events_without_a_site_are_accepted_as_before_and_named_sites_are_stored(
    site_ingest: Ingest,
) -> None:
    legacy = {"eventName": "add_to_cart_click", "clientId": "c9", "pageUrl": "https://s/p"}
    assert site_ingest.post(legacy).status_code == 202
    assert site_ingest.post([_event(), _event("blog")]).status_code == 202

    stored = site_ingest.stored()
    assert [r.get("site_id") for r in stored] == [None, None, "blog"]
    assert stored[0]["event_name"] == "add_to_cart"


@ONE_SERVER
def test_an_unknown_site_is_refused_with_403_naming_it_and_the_batch_is_not_stored(
    site_ingest: Ingest,
) -> None:
    response = site_ingest.post([_event("blog"), _event("nosuchsite")])

    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "unknown_site"
    assert "'nosuchsite'" in body["detail"]
    assert body["errors"][0]["index"] == 1 and body["errors"][0]["field"] == "site_id"
    assert site_ingest.stored() == []


@ONE_SERVER
def test_a_site_with_a_write_key_takes_only_requests_carrying_it(site_ingest: Ingest) -> None:
    missing = site_ingest.post(_event("keyed"))
    wrong = site_ingest.post(_event("keyed"), headers={"x-write-key": "k-wrong"})
    right = site_ingest.post(_event("keyed"), headers={"x-write-key": "k-right"})

    assert (missing.status_code, wrong.status_code, right.status_code) == (403, 403, 202)
    assert missing.json()["error"] == wrong.json()["error"] == "write_key_refused"
    assert "does not match" in wrong.json()["detail"]
    assert [r["site_id"] for r in site_ingest.stored()] == ["keyed"]


def _preflight(ingest: Ingest, origin: str) -> httpx.Response:
    return httpx.options(
        ingest.url,
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, x-write-key",
        },
    )


@ONE_SERVER
def test_cors_follows_the_registered_origins_including_a_site_added_while_running(
    site_ingest: Ingest, sites_url: str
) -> None:
    allowed = _preflight(site_ingest, BLOG)
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == BLOG
    assert "x-write-key" in allowed.headers["access-control-allow-headers"]
    assert _preflight(site_ingest, "http://news.test").status_code == 403

    with psycopg.connect(sites_url) as conn:
        save_site(conn, make_site("news", "News", ["http://news.test"]))
    deadline = time.monotonic() + 10
    while _preflight(site_ingest, "http://news.test").status_code != 204:
        assert time.monotonic() < deadline, "the new site's origin was never allowed"
        time.sleep(0.1)
    posted = httpx.post(
        site_ingest.url, json=_event("news"), headers={"origin": "http://news.test"}
    )
    assert posted.status_code == 202
    assert posted.headers["access-control-allow-origin"] == "http://news.test"


def test_without_a_reachable_warehouse_the_default_site_is_served_and_others_wait(
    make_ingest: Callable[..., Ingest],
) -> None:
    nowhere = f"postgresql://nobody@127.0.0.1:{free_port()}/warehouse"
    ingest = make_ingest(ingest_ship_before_ack=True, ingest_sites_db_url=nowhere)

    assert ingest.post(_event()).status_code == 202
    named = ingest.post(_event("blog"))
    assert named.status_code == 503  # retried by the tracker, never lost as a 4xx would be
    assert named.headers["retry-after"]
    assert "'blog'" in named.json()["detail"]


@ONE_SERVER
def test_the_last_registry_read_is_kept_while_the_warehouse_is_unreachable(sites_url: str) -> None:
    registry = SiteRegistry(sites_url, interval=60)
    assert registry.refresh()
    registry.url = f"postgresql://nobody@127.0.0.1:{free_port()}/warehouse"

    assert not registry.refresh()
    snapshot = registry.snapshot()
    assert snapshot.loaded and {"blog", "keyed"} <= set(snapshot.sites)
    assert BLOG in registry.origins()


def test_cookieless_requests_get_a_daily_visitor_hash_and_no_browser_ids(
    make_ingest: Callable[..., Ingest],
) -> None:
    ingest = make_ingest(ingest_ship_before_ack=True)
    url = ingest.url + "?cookieless=1"
    firefox, chrome = {"user-agent": "Firefox/1"}, {"user-agent": "Chrome/1"}
    for headers in (firefox, firefox, chrome):
        event = {"event_name": "page_view", "client_id": "sent", "session_id": "s"}
        assert httpx.post(url, json=event, headers=headers).status_code == 202
    assert ingest.post(_event()).status_code == 202  # not cookieless: kept as sent

    ids = [r["client_id"] for r in ingest.stored()]
    assert ids[0] == ids[1] != ids[2]
    assert all(i.startswith("h.") and len(i) == 34 for i in ids[:3])
    assert ids[3] == "c1"
    assert all("session_id" not in r for r in ingest.stored()[:3])


def test_the_visitor_salt_changes_every_day_and_the_previous_one_is_forgotten() -> None:
    salts = DailySalts()
    monday, tuesday = date(2026, 11, 30), date(2026, 12, 1)
    first = salts.salt(monday)

    assert salts.salt(monday) == first
    assert salts.salt(tuesday) != first
    assert salts.days_held == [tuesday]
    assert salts.salt(monday) != first  # gone: the same day cannot be hashed alike again


def test_a_shared_store_gives_every_replica_the_same_salt() -> None:
    store: dict[date, bytes] = {}

    def shared(day: date, fresh: bytes) -> bytes:
        return store.setdefault(day, fresh)

    day = date(2026, 12, 3)
    assert DailySalts(shared).salt(day) == DailySalts(shared).salt(day)


@ONE_SERVER
def test_the_segment_http_api_maps_messages_to_the_write_keys_site(site_ingest: Ingest) -> None:
    base = site_ingest.server.url
    batch = {
        "batch": [
            {"type": "page", "anonymousId": "a1", "properties": {"url": "https://s.test/"}},
            {
                "type": "track",
                "event": "Product Added",
                "anonymousId": "a1",
                "messageId": "ajs-next-42",
                "properties": {"product_id": "sku-1", "name": "Mug", "price": 20, "quantity": 2},
            },
        ]
    }
    basic = httpx.post(base + "/v1/batch", json=batch, auth=("k-right", ""))
    # analytics.js posts text/plain with the key in the body (no preflight, no headers)
    track = {"event": "Signed Up", "anonymousId": "a1", "writeKey": "k-right"}
    short = httpx.post(
        base + "/v1/t", content=json.dumps(track), headers={"content-type": "text/plain"}
    )
    wrong = httpx.post(base + "/v1/track", json={"event": "x"}, auth=("k-wrong", ""))
    none = httpx.post(base + "/v1/track", json={"event": "x"})

    assert (basic.status_code, short.status_code) == (202, 202)
    assert (wrong.status_code, none.status_code) == (403, 403)
    assert wrong.json()["detail"] == "the write key matches no registered site"
    stored = site_ingest.stored()
    assert [(r["event_name"], r["site_id"]) for r in stored] == [
        ("page_view", "keyed"),
        ("add_to_cart", "keyed"),
        ("sign_up", "keyed"),
    ]
    assert stored[1]["product"] == {"id": "sku-1", "name": "Mug", "price": 20.0, "quantity": 2}
    assert stored[0]["page_url"] == "https://s.test/"


@ONE_SERVER
def test_the_aws_sdk_path_takes_gzip_and_refuses_an_unregistered_app_id(
    site_ingest: Ingest,
) -> None:
    base = site_ingest.server.url
    events = [
        {
            "event_type": "_page_view",
            "device_id": "d1",
            "app_id": "blog",
            "timestamp": 1764741600000,
            "attributes": {"_page_url": "https://b.test/"},
        }
    ]
    packed = gzip.compress(json.dumps(events).encode())
    ok = httpx.post(
        base + "/collect?platform=Web&appId=blog&compression=gzip",
        content=packed,
        headers={"content-type": "application/json; charset=utf-8"},
    )
    unknown = httpx.post(base + "/collect?appId=nosuch", json=events)
    missing = httpx.post(base + "/collect", json=[{"event_type": "_page_view"}])

    assert ok.status_code == 200  # what that SDK takes as success
    assert unknown.status_code == 403 and "'nosuch'" in unknown.json()["detail"]
    assert missing.status_code == 400 and "appId" in missing.json()["detail"]
    (stored,) = site_ingest.stored()
    assert (stored["event_name"], stored["site_id"], stored["client_id"]) == (
        "page_view",
        "blog",
        "d1",
    )
