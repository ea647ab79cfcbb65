"""Token buckets per client IP: in process by default, in Redis when replicas share a budget."""

from __future__ import annotations

import time
from typing import Any, Protocol

import structlog

log = structlog.get_logger("clickstream.ingest.ratelimit")
_MAX_BUCKETS = 100_000

# KEYS[1] bucket; ARGV rate, burst, now (seconds), ttl. Returns the wait in milliseconds.
_REDIS_SCRIPT = """
local state = redis.call('HMGET', KEYS[1], 't', 'ts')
local rate, burst, now = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 't', tokens, 'ts', now)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return wait
"""


class RateLimiter(Protocol):
    """Takes one token for `key`; returns 0 when allowed, else seconds until one is free."""

    async def acquire(self, key: str) -> float:
        """0.0 when the request may go ahead, else the wait in seconds."""


class LocalBuckets:
    """Buckets in this process's memory; bounded in the number of clients tracked."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: dict[str, list[float]] = {}

    async def acquire(self, key: str) -> float:
        """Take a token for `key` if one is there."""
        now = time.monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= _MAX_BUCKETS:
                self._forget_full(now)
            bucket = self._buckets[key] = [self.burst, now]
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= 1:
            bucket[0] = tokens - 1
            return 0.0
        bucket[0] = tokens
        return (1 - tokens) / self.rate

    def _forget_full(self, now: float) -> None:
        refill = self.burst / self.rate
        stale = [k for k, (_, ts) in self._buckets.items() if now - ts >= refill]
        for key in stale or list(self._buckets)[: _MAX_BUCKETS // 10]:
            del self._buckets[key]


class RedisBuckets:
    """Buckets in Redis, one hash a client, updated atomically by a Lua script.

    When Redis fails, requests go through unlimited (losing events is worse than a missed
    limit), the outage is logged once, and Redis is asked again only after a back-off that
    doubles up to `max_backoff` seconds; the first success logs that it is back.
    """

    def __init__(
        self,
        url: str,
        rate: float,
        burst: int,
        prefix: str = "clickstream:rl:",
        max_backoff: float = 30.0,
    ) -> None:
        import redis.asyncio as aioredis

        self.rate = rate
        self.burst = burst
        self.prefix = prefix
        self.client: Any = aioredis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._script = self.client.register_script(_REDIS_SCRIPT)
        self._ttl = max(1, int(burst / rate) + 1)
        self.max_backoff = max_backoff
        self.down_since: float | None = None  # monotonic time of the first failure, if down
        self._backoff = 0.0
        self._retry_at = 0.0

    async def acquire(self, key: str) -> float:
        """Take a token for `key`; while Redis is down (backing off), let the request through."""
        now = time.monotonic()
        if self.down_since is not None and now < self._retry_at:
            return 0.0
        try:
            wait_ms = await self._script(
                keys=[self.prefix + key], args=[self.rate, self.burst, time.time(), self._ttl]
            )
        except Exception as exc:  # fail open: losing events is worse than a missed limit
            self._failed(exc, now)
            return 0.0
        if self.down_since is not None:
            log.warning("rate_limit_store_up", down_seconds=round(now - self.down_since, 3))
            self.down_since = None
            self._backoff = 0.0
        return float(wait_ms) / 1000.0

    def _failed(self, exc: Exception, now: float) -> None:
        if now < self._retry_at:
            return  # a call that started before the outage was noticed: already backing off
        if self.down_since is None:
            self.down_since = now
            log.warning("rate_limit_store_failed", error=type(exc).__name__, state="down")
        self._backoff = min(self.max_backoff, max(0.5, self._backoff * 2))
        self._retry_at = now + self._backoff

    async def close(self) -> None:
        """Close the connection pool."""
        await self.client.aclose()
