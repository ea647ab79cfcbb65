"""CORS from an allow-list, and token-bucket rate limits per client IP (in process and Redis)."""

from __future__ import annotations

import socket
import threading
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest
import structlog

from tests.ingest.conftest import Ingest

SHOP = "https://shop.example"


def test_allowed_origin_is_echoed_never_a_wildcard(make_ingest: Callable[..., Ingest]) -> None:
    ingest = make_ingest(ingest_cors_origins=f"{SHOP}, https://other.example")
    response = ingest.post({"event_name": "page_view"}, headers={"origin": SHOP})

    assert response.status_code == 202
    assert response.headers["access-control-allow-origin"] == SHOP
    assert "Origin" in response.headers["vary"]
    assert "access-control-allow-credentials" not in response.headers


def test_unlisted_origin_gets_no_cors_headers(make_ingest: Callable[..., Ingest]) -> None:
    ingest = make_ingest(ingest_cors_origins=SHOP)
    response = ingest.post({"event_name": "page_view"}, headers={"origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_preflight_is_answered_for_allowed_origin_and_refused_otherwise(
    make_ingest: Callable[..., Ingest],
) -> None:
    ingest = make_ingest(ingest_cors_origins=SHOP)
    ask = {
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type",
    }

    allowed = httpx.options(ingest.url, headers={"origin": SHOP, **ask})
    assert allowed.status_code == 204
    assert allowed.headers["access-control-allow-origin"] == SHOP
    assert "POST" in allowed.headers["access-control-allow-methods"]
    assert "content-type" in allowed.headers["access-control-allow-headers"]

    refused = httpx.options(ingest.url, headers={"origin": "https://evil.example", **ask})
    assert refused.status_code == 403
    assert "access-control-allow-origin" not in refused.headers


def test_no_origins_configured_means_no_cors_headers(ingest: Ingest) -> None:
    response = ingest.post({"event_name": "page_view"}, headers={"origin": SHOP})
    assert "access-control-allow-origin" not in response.headers


def test_client_over_its_bucket_gets_429_with_retry_after_and_nothing_stored(
    make_ingest: Callable[..., Ingest],
) -> None:
    # one token in 1000 s: however slow the machine, no token comes back during the test
    ingest = make_ingest(ingest_rate_limit_per_second=0.001, ingest_rate_limit_burst=3)
    statuses = [ingest.post({"event_name": "page_view"}).status_code for _ in range(5)]

    assert statuses == [202, 202, 202, 429, 429]
    refused = ingest.post({"event_name": "page_view"})
    assert refused.json()["error"] == "rate_limited"
    assert 900 <= int(refused.headers["retry-after"]) <= 1000
    assert len(ingest.stored()) == 3


def test_forwarded_for_counts_only_from_a_trusted_proxy(
    make_ingest: Callable[..., Ingest],
) -> None:
    ingest = make_ingest(
        ingest_rate_limit_per_second=0.001,  # no refill within the test
        ingest_rate_limit_burst=1,
        ingest_trusted_proxies="127.0.0.1",
        ingest_ship_before_ack=True,
    )
    a = {"x-forwarded-for": "203.0.113.9, 10.0.0.1, 127.0.0.1"}
    b = {"x-forwarded-for": "198.51.100.4"}
    assert ingest.post({"event_name": "x"}, headers=a).status_code == 202
    assert ingest.post({"event_name": "x"}, headers=b).status_code == 202  # another client
    assert ingest.post({"event_name": "x"}, headers=b).status_code == 429
    nets = sorted(r["client_ip"] for r in ingest.stored())
    # 10.0.0.1 is not trusted, so it is taken as the client; its /24 is what is stored
    assert nets == ["10.0.0.0", "198.51.100.0"]


def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    make_ingest: Callable[..., Ingest],
) -> None:
    ingest = make_ingest(ingest_ship_before_ack=True)
    ingest.post({"event_name": "x"}, headers={"x-forwarded-for": "203.0.113.9"})
    assert [r["client_ip"] for r in ingest.stored()] == ["127.0.0.0"]


def test_replicas_share_one_budget_through_redis(make_ingest: Callable[..., Ingest]) -> None:
    prefix_env = {
        "redis_url": "redis://127.0.0.1:6379/0",
        "ingest_rate_limit_per_second": 0.001,  # no refill within the test
        "ingest_rate_limit_burst": 4,
    }
    first = make_ingest(**prefix_env)
    second = make_ingest(**prefix_env)
    # A fresh client address per run keeps runs (and parallel tests) apart in Redis.
    client = {"x-forwarded-for": f"192.0.2.{uuid.uuid4().int % 250 + 1}"}
    for ingest in (first, second):
        ingest.service.trusted_proxies = first.service.trusted_proxies + _loopback()
        assert ingest.service.limiter is not None
        ingest.service.limiter.prefix = f"clickstream-test:{uuid.uuid4().hex}:"  # type: ignore[attr-defined]
    second.service.limiter.prefix = first.service.limiter.prefix  # type: ignore[union-attr]

    statuses = [
        (first if i % 2 else second).post({"event_name": "x"}, headers=client).status_code
        for i in range(6)
    ]
    assert statuses == [202, 202, 202, 202, 429, 429]


def _loopback() -> tuple:  # type: ignore[type-arg]
    from clickstream.ingest.http.client_ip import parse_networks

    return parse_networks("127.0.0.1")


@pytest.fixture
def dead_redis() -> Iterator[tuple[str, list[int]]]:
    """A port that accepts connections and drops them at once: Redis, unreachable."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            accepted.append(1)
            connection.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"redis://127.0.0.1:{listener.getsockname()[1]}/0", accepted
    listener.close()


def test_unreachable_redis_is_logged_once_and_not_asked_on_every_request(
    make_ingest: Callable[..., Ingest], dead_redis: tuple[str, list[int]]
) -> None:
    url, connections = dead_redis
    ingest = make_ingest(redis_url=url, ingest_rate_limit_per_second=50)

    with structlog.testing.capture_logs() as logs:
        statuses = [ingest.post({"event_name": "x"}).status_code for _ in range(30)]

    assert statuses == [202] * 30  # fail open: events are worth more than a missed limit
    failures = [e for e in logs if e["event"] == "rate_limit_store_failed"]
    assert len(failures) == 1
    assert len(connections) < 10, "a store that is down is retried only after a back-off"
