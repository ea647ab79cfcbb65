"""A bounded sample of rejected requests, written to the lake's `quarantine/` with the reason.

Refusals are counted in full by the metrics; only up to `per_minute` of them are kept here, each
with at most `sample_bytes` of the body, so a flood of junk cannot fill the lake.
"""

from __future__ import annotations

import gzip
import itertools
import threading
import time
from collections import deque
from typing import Any

from clickstream import jsonio, utc
from clickstream.events.record import truncate_ip
from clickstream.ingest.configuration import default_of
from clickstream.lake.keys import quarantine_object_key
from clickstream.lake.store import LakeStore


class Quarantine:
    """Collects samples in memory; `flush` writes them as one lake object."""

    def __init__(
        self,
        node: str,
        per_minute: int = default_of("ingest_quarantine_per_minute"),
        sample_bytes: int = 4096,
    ) -> None:
        self.node = node
        self.per_minute = per_minute
        self.sample_bytes = sample_bytes
        self._window = 0
        self._taken = 0
        self._samples: deque[dict[str, Any]] = deque(maxlen=max(1, per_minute * 10))
        self._sequence = itertools.count(1)
        self._lock = threading.Lock()

    def add(
        self, reason: str, detail: str, body: bytes, request_id: str, client_ip: str | None
    ) -> None:
        """Keep this refusal if the sample for the current minute is not full yet."""
        if self.per_minute <= 0:
            return
        window = int(time.monotonic() // 60)
        with self._lock:
            if window != self._window:
                self._window, self._taken = window, 0
            if self._taken >= self.per_minute:
                return
            self._taken += 1
            self._samples.append(
                {
                    "received_at": utc.isoformat(utc.now()),
                    "reason": reason,
                    "detail": detail[:500],
                    "request_id": request_id,
                    "node_id": self.node,
                    "client_ip": truncate_ip(client_ip),
                    "body_bytes": len(body),
                    "body_sample": body[: self.sample_bytes].decode("utf-8", "replace"),
                }
            )

    def flush(self, lake: LakeStore) -> int:
        """Write the samples to `quarantine/YYYY/MM/DD/HH/`; keep them if the lake fails."""
        with self._lock:
            samples = list(self._samples)
            self._samples.clear()
        if not samples:
            return 0
        now = utc.now()
        data = b"".join(jsonio.dumps(sample) + b"\n" for sample in samples)
        try:
            key = quarantine_object_key(now, self.node, next(self._sequence))
            lake.put(key, gzip.compress(data, mtime=0))
        except OSError:
            with self._lock:
                self._samples.extendleft(reversed(samples))
            raise
        return len(samples)
