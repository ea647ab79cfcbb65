"""The pieces of the spool's bookkeeping: a batch waiting for its fsync, the open file, stats.

Kept apart from `spool.py` so that module reads as the append / fsync / close cycle only.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from clickstream import utc


@dataclass(slots=True)
class PendingBatch:
    """One request's lines, waiting to be written and fsynced."""

    lines: bytes
    received_at: datetime
    future: asyncio.Future[None]
    close_after: bool = False


@dataclass
class OpenFile:
    """The spool file being appended to, and what is still running on its descriptor."""

    path: Path
    fd: int
    hour: int
    opened: float
    size: int = 0
    syncing: int = 0  # fsyncs running on `fd`; it is closed only once they are done
    released: bool = False
    fd_closed: bool = False
    dir_synced: bool = False  # the folder entry of its name is durable
    retiring: bool = False  # closed off the loop once its fsyncs are done (`Spool._retire`)
    finishing: bool = False  # handed to `Spool._finish`

    def close_fd_when_idle(self) -> None:
        """Close `fd` once the file is released and no fsync runs on it (exactly once)."""
        if self.released and self.syncing == 0 and not self.fd_closed and not self.retiring:
            self.fd_closed = True
            os.close(self.fd)


@dataclass
class SpoolStats:
    """What the spool holds right now, for metrics and readiness."""

    bytes: int = 0
    files: int = 0
    oldest: datetime | None = None
    commits: int = 0
    batches: int = 0
    errors: int = 0


def fsync_dir(path: Path) -> None:
    """fsync the folder `path`, making the names in it durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def hour_number(received_at: datetime) -> int:
    """The UTC hour a batch belongs to, as the number `YYYYMMDDHH` (cheap on the hot path)."""
    if received_at.tzinfo is not UTC:
        received_at = utc.as_utc(received_at)
    return ((received_at.year * 100 + received_at.month) * 100 + received_at.day) * 100 + (
        received_at.hour
    )


def resolve_synced(items: list[PendingBatch], stats: SpoolStats) -> None:
    """Answer `items` as durable and count the commit."""
    if items:
        stats.commits += 1
        stats.batches += len(items)
        resolve(items, None)


def resolve(items: list[PendingBatch], error: BaseException | None) -> None:
    """Answer every waiting request in `items`: done, or failed with `error`."""
    for item in items:
        if item.future.done():
            continue  # the request was cancelled (client gone); its lines are durable anyway
        if error is None:
            item.future.set_result(None)
        else:
            item.future.set_exception(error)
