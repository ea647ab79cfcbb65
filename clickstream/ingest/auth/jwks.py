"""The signing keys tokens are checked against: a JWKS from a URL or a local file.

An unknown `kid` triggers at most one refresh per `min_refresh` seconds, so a flood of tokens
with made-up key ids cannot turn into a flood of JWKS fetches.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt
import structlog

from clickstream import jsonio
from clickstream.ingest.configuration import default_of

log = structlog.get_logger("clickstream.ingest.jwks")
_MAX_JWKS_BYTES = 512 * 1024


class KeySetUnavailable(Exception):
    """The JWKS could not be fetched or read."""


class KeySet:
    """Public keys by `kid`, loaded from `url` or `path` and refreshed on an unknown `kid`."""

    def __init__(
        self,
        url: str | None = None,
        path: Path | None = None,
        min_refresh: float = default_of("ingest_jwks_refresh_seconds"),
    ) -> None:
        if not url and not path:
            raise ValueError("a key set needs a JWKS URL or a JWKS file")
        self.url = url
        self.path = path
        self.min_refresh = min_refresh
        self.refreshes = 0
        self._keys: dict[str, jwt.PyJWK] = {}
        self._declared: dict[str, str | None] = {}
        self._last_refresh = float("-inf")
        self._lock = threading.Lock()
        self._refresh_lock = threading.Lock()

    def _fetch(self) -> dict[str, Any]:
        if self.path is not None:
            raw = self.path.read_bytes()
        else:
            assert self.url is not None
            if not self.url.startswith(("http://", "https://")):
                raise KeySetUnavailable("the JWKS URL must be http(s)")
            request = urllib.request.Request(  # noqa: S310 (http(s) checked above)
                self.url, headers={"accept": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
                raw = response.read(_MAX_JWKS_BYTES + 1)
            if len(raw) > _MAX_JWKS_BYTES:
                raise KeySetUnavailable("the JWKS is too large")
        document = jsonio.loads(raw)
        if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
            raise KeySetUnavailable("the JWKS has no `keys` array")
        return document

    def load(self) -> bool:
        """Load the keys now (at start), outside the unknown-`kid` budget."""
        return self._reload()

    def refresh(self) -> bool:
        """Reload the keys unless an unknown `kid` did so less than `min_refresh` seconds ago.

        Callers arriving while a refresh runs wait for it, then look again at its keys.
        """
        with self._refresh_lock:
            with self._lock:
                if time.monotonic() - self._last_refresh < self.min_refresh:
                    return False
                self._last_refresh = time.monotonic()
            return self._reload()

    def _reload(self) -> bool:
        with self._lock:
            self.refreshes += 1
            try:
                document = self._fetch()
            except Exception as exc:
                log.warning("jwks_refresh_failed", error=type(exc).__name__)
                return False
            keys: dict[str, jwt.PyJWK] = {}
            declared: dict[str, str | None] = {}
            for entry in document["keys"]:
                if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
                    continue
                if entry.get("use", "sig") != "sig" or entry.get("kty") == "oct":
                    continue  # only public signing keys; never a shared secret
                try:
                    keys[entry["kid"]] = jwt.PyJWK(entry)
                except jwt.PyJWTError:
                    continue
                alg = entry.get("alg")
                declared[entry["kid"]] = alg if isinstance(alg, str) else None
            self._keys, self._declared = keys, declared
            return True

    def cached(self, kid: str) -> jwt.PyJWK | None:
        """The key for `kid` if it is already loaded."""
        return self._keys.get(kid)

    def declared_algorithm(self, kid: str) -> str | None:
        """The `alg` the JWKS pins for `kid`, if it names one."""
        return self._declared.get(kid)

    def get(self, kid: str) -> jwt.PyJWK | None:
        """The key for `kid`, refreshing once (rate-limited) when it is unknown."""
        key = self._keys.get(kid)
        if key is None:
            self.refresh()  # whether this call or a concurrent one reloaded, look again
            key = self._keys.get(kid)
        return key
