"""The durable local spool: a 2xx is sent only after the batch's lines are fsynced here.

Concurrent requests are group-committed: one writer thread appends every pending batch to the
open file and fsyncs once for all of them. A file is closed (renamed from `.open` to `.ndjson`)
when it reaches a size, an age or a new UTC hour, and the shipper then moves it to the lake.
The writer holds an `flock` on its open file, so an open file nobody holds was left by a dead
process and is shipped like a closed one.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import itertools
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from clickstream import utc

OPEN_SUFFIX = ".ndjson.open"
CLOSED_SUFFIX = ".ndjson"
log = structlog.get_logger("clickstream.ingest.spool")


class SpoolFull(OSError):
    """The spool reached its byte cap (the lake has not been taking files)."""


class SpoolClosed(OSError):
    """The spool is shutting down and takes no more batches."""


@dataclass
class _Pending:
    lines: bytes
    received_at: datetime
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[None]
    close_after: bool = False


@dataclass
class _OpenFile:
    path: Path
    fd: int
    hour: str
    opened: float
    size: int = 0


@dataclass
class SpoolStats:
    """What the spool holds right now, for metrics and readiness."""

    bytes: int = 0
    files: int = 0
    oldest: datetime | None = None
    commits: int = 0
    batches: int = 0
    errors: int = 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def received_stamp(path: Path) -> datetime | None:
    """The first-received time encoded in a spool file name, if it parses."""
    parts = path.name.split("-")
    for part in reversed(parts):
        if len(part) == 22 and part.endswith("Z") and "T" in part:
            try:
                return datetime.strptime(part, "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
            except ValueError:
                return None
    return None


class Spool:
    """Append-only NDJSON files under `directory`, fsynced before `append` returns."""

    def __init__(
        self,
        directory: Path,
        node: str,
        file_bytes: int = 8 * 1024 * 1024,
        file_seconds: float = 60.0,
        max_bytes: int = 1024 * 1024 * 1024,
    ) -> None:
        self.directory = Path(directory)
        self.node = node
        self.file_bytes = file_bytes
        self.file_seconds = file_seconds
        self.max_bytes = max_bytes
        self.stats = SpoolStats()
        self._sequence = itertools.count(1)
        self._pending: list[_Pending] = []
        self._cond = threading.Condition()
        self._file: _OpenFile | None = None
        self._closed_bytes = 0
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._rotate_requested = False

    # --- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Create the folder and start the group-commit writer thread."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.refresh_usage()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="spool-writer", daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Write what is pending, close the open file and stop the writer."""
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    # --- appending --------------------------------------------------------------------------
    @property
    def usage(self) -> int:
        """Bytes in the spool: closed files waiting for the lake plus the open file."""
        open_size = self._file.size if self._file else 0
        return self._closed_bytes + open_size

    def check_capacity(self, extra: int = 0) -> None:
        """Raise `SpoolFull` when `extra` more bytes would pass the cap."""
        if self.usage + extra > self.max_bytes:
            raise SpoolFull(f"the spool holds {self.usage} bytes, its cap is {self.max_bytes}")

    async def append(self, lines: bytes, received_at: datetime, close_after: bool = False) -> None:
        """Return once `lines` are fsynced; raise `OSError` (never a silent loss) otherwise.

        With `close_after`, the file holding them is closed too, ready for the shipper.
        """
        self.check_capacity(len(lines))
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        with self._cond:
            if self._stopping or self._thread is None:
                raise SpoolClosed("the spool is not accepting batches")
            self._pending.append(_Pending(lines, received_at, loop, future, close_after))
            self._cond.notify()
        await future

    def rotate(self) -> None:
        """Ask the writer to close the open file now (it ships on the next pass)."""
        with self._cond:
            self._rotate_requested = True
            self._cond.notify()

    # --- the writer thread ------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._stopping and not self._rotate_requested:
                    timeout = self._seconds_to_age_out()
                    if not self._cond.wait(timeout=timeout) and self._file_is_old():
                        break
                batch, self._pending = self._pending, []
                stopping = self._stopping
                rotate, self._rotate_requested = self._rotate_requested, False
            if batch:
                self._commit(batch)
            if rotate or stopping or self._file_is_old():
                self._close_file()
            if stopping:
                with self._cond:
                    leftover, self._pending = self._pending, []
                for item in leftover:
                    _resolve([item], SpoolClosed("the spool closed"))
                return

    def _seconds_to_age_out(self) -> float | None:
        if self._file is None:
            return None
        return max(0.01, self._file.opened + self.file_seconds - time.monotonic())

    def _file_is_old(self) -> bool:
        return self._file is not None and (
            time.monotonic() - self._file.opened >= self.file_seconds
        )

    def _commit(self, batch: list[_Pending]) -> None:
        groups: dict[str, list[_Pending]] = {}
        for item in batch:
            groups.setdefault(f"{utc.as_utc(item.received_at):%Y%m%d%H}", []).append(item)
        for hour, items in sorted(groups.items()):
            try:
                current = self._file_for(hour, items[0].received_at)
                data = b"".join(item.lines for item in items)
                view = memoryview(data)
                while view:
                    written = os.write(current.fd, view)
                    view = view[written:]
                os.fdatasync(current.fd)
                current.size += len(data)
                self.stats.commits += 1
                self.stats.batches += len(items)
                error: BaseException | None = None
            except OSError as exc:
                self.stats.errors += 1
                log.error("spool_write_failed", error=type(exc).__name__, detail=str(exc)[:200])
                # The file may now end in a partial batch; never append after it.
                self._close_file()
                error = exc
            if error is None and any(item.close_after for item in items):
                self._close_file()
            _resolve(items, error)
            if self._file is not None and self._file.size >= self.file_bytes:
                self._close_file()

    def _file_for(self, hour: str, received_at: datetime) -> _OpenFile:
        if self._file is not None and self._file.hour != hour:
            self._close_file()
        if self._file is None:
            name = f"{self.node}-{utc.compact_stamp(received_at)}-{next(self._sequence):06d}"
            path = self.directory / f"{name}{OPEN_SUFFIX}"
            # Lock before the file gets a name a shipper looks for, or it could take it as
            # abandoned.
            creating = self.directory / f".{name}.creating"
            fd = os.open(creating, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(creating, path)
            _fsync_dir(self.directory)
            self._file = _OpenFile(path=path, fd=fd, hour=hour, opened=time.monotonic())
        return self._file

    def _close_file(self) -> None:
        current, self._file = self._file, None
        if current is None:
            return
        try:
            if current.size:
                base = current.path.name[: -len(OPEN_SUFFIX)]
                os.rename(current.path, current.path.with_name(base + CLOSED_SUFFIX))
                self._closed_bytes += current.size
            else:
                current.path.unlink(missing_ok=True)
            _fsync_dir(self.directory)
        except OSError as exc:
            log.error("spool_close_failed", error=type(exc).__name__)
        finally:
            os.close(current.fd)

    # --- for the shipper --------------------------------------------------------------------
    def own_open_file(self) -> Path | None:
        """The file this process is appending to, which the shipper must leave alone."""
        return self._file.path if self._file else None

    def waiting_files(self) -> Iterator[Path]:
        """Closed files, and open files no live process holds, oldest first."""
        own = self.own_open_file()
        names = sorted(p for p in self.directory.iterdir() if p.is_file())
        for path in names:
            if path.name.endswith(CLOSED_SUFFIX) or (
                path.name.endswith(OPEN_SUFFIX) and path != own
            ):
                yield path

    def refresh_usage(self) -> None:
        """Recount the bytes of files waiting for the lake (several processes may share it)."""
        total = 0
        count = 0
        oldest: datetime | None = None
        own = self.own_open_file()
        for path in self.directory.glob("*.ndjson*"):
            if path == own:
                continue
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                continue
            count += 1
            stamp = received_stamp(path)
            if stamp is not None and (oldest is None or stamp < oldest):
                oldest = stamp
        self._closed_bytes = total
        self.stats.bytes = self.usage
        self.stats.files = count
        self.stats.oldest = oldest


def _resolve(items: list[_Pending], error: BaseException | None) -> None:
    by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
    for item in items:
        by_loop.setdefault(item.loop, []).append(item)
    for loop, group in by_loop.items():
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody waits for an answer
            loop.call_soon_threadsafe(_settle, [i.future for i in group], error)


def _settle(futures: list[asyncio.Future[None]], error: BaseException | None) -> None:
    for future in futures:
        if future.done():
            continue
        if error is None:
            future.set_result(None)
        else:
            future.set_exception(error)
