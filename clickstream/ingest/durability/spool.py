"""The durable local spool: a 2xx is sent only after the batch's lines are fsynced here.

Concurrent requests are group-committed: the event loop appends each batch to the open file
and one fsync at a time runs in a helper thread; every batch written while it ran is covered
by the next one. A file is closed (renamed from `.open` to `.ndjson`)
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
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import structlog

from clickstream.ingest.configuration import default_of
from clickstream.ingest.durability.spool_file import (
    OpenFile,
    PendingBatch,
    SpoolStats,
    fsync_dir,
    hour_number,
    resolve,
    resolve_synced,
)
from clickstream.ingest.durability.workers import DiskWorkers
from clickstream.lake.keys import object_stem, received_at_of

OPEN_SUFFIX = ".ndjson.open"
MAX_FSYNCS = 4  # fsyncs in flight at once: a slow disk still lets later groups commit
CLOSED_SUFFIX = ".ndjson"
PROBE_BYTES = 64 * 1024  # readiness: room for a typical batch, not just for a file name
log = structlog.get_logger("clickstream.ingest.spool")


class SpoolFull(OSError):
    """The spool reached its byte cap (the lake has not been taking files)."""


class SpoolClosed(OSError):
    """The spool is shutting down and takes no more batches."""


class Spool:
    """Append-only NDJSON files under `directory`, fsynced before `append` returns.

    Appends come from one event loop, which owns the open file; only `fdatasync` runs in a
    helper thread, so the loop keeps taking requests while the disk works.
    """

    def __init__(
        self,
        directory: Path,
        node: str,
        file_bytes: int = default_of("ingest_spool_file_bytes"),
        file_seconds: float = default_of("ingest_spool_file_seconds"),
        max_bytes: int = default_of("ingest_spool_max_bytes"),
    ) -> None:
        self.directory = Path(directory)
        self.node = node
        self.file_bytes = file_bytes
        self.file_seconds = file_seconds
        self.max_bytes = max_bytes
        self.stats = SpoolStats()
        self._sequence = itertools.count(1)
        self._pending: list[PendingBatch] = []
        self._file: OpenFile | None = None
        self._closed_bytes = 0
        self._accepting = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._flush_scheduled = False
        self._tick: asyncio.TimerHandle | None = None
        # fsyncs in flight by number: what each covers, and (once done) its outcome
        self._syncs: dict[int, tuple[list[PendingBatch], OpenFile, bool]] = {}
        self._sync_numbers = itertools.count()
        self._synced: dict[int, BaseException | None] = {}
        self._settled = threading.Condition()  # `close` waits on it for fsyncs in flight
        self._fsync = DiskWorkers(MAX_FSYNCS, "spool-fsync")

    # --- life cycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Create the folder and start taking batches."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.refresh_usage()
        self._accepting = True

    def close(self) -> None:
        """Write what is pending, fsync it and close the open file; call it from the loop."""
        self._accepting = False
        if self._tick is not None:
            self._tick.cancel()
            self._tick = None
        with self._settled:
            self._settled.wait_for(lambda: self._synced.keys() >= self._syncs.keys(), 60)
        for number in list(self._syncs):
            self._synced.setdefault(number, TimeoutError("the fsync did not finish"))
            self._after_sync(number)
        if self._pending:
            batch, self._pending = self._pending, []
            waiting = self._write(batch)
            try:
                self._sync_inline()
                resolve_synced(waiting, self.stats)
            except OSError as exc:
                resolve(waiting, exc)
        self._close_file()
        self._fsync.stop()
        self._loop = None

    # --- appending --------------------------------------------------------------------------
    @property
    def usage(self) -> int:
        """Bytes in the spool: closed files waiting for the lake plus the open file."""
        current = self._file
        return self._closed_bytes + (current.size if current else 0)

    def can_write(self, size: int = PROBE_BYTES) -> bool:
        """Whether `size` bytes can be written to the spool's disk now (a probe file, deleted)."""
        probe = self.directory / f".ready-{uuid.uuid4().hex}"
        try:
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError:
            return False
        try:
            view = memoryview(bytes(size))
            while view:
                view = view[os.write(fd, view) :]
        except OSError:
            return False
        finally:
            os.close(fd)
            with contextlib.suppress(OSError):
                probe.unlink()
        return True

    def check_capacity(self, extra: int = 0) -> None:
        """Raise `SpoolFull` when `extra` more bytes would pass the cap."""
        if self.usage + extra > self.max_bytes:
            raise SpoolFull(f"the spool holds {self.usage} bytes, its cap is {self.max_bytes}")

    async def append(self, lines: bytes, received_at: datetime, close_after: bool = False) -> None:
        """Return once `lines` are fsynced; raise `OSError` (never a silent loss) otherwise.

        With `close_after`, the file holding them is closed too, ready for the shipper.
        """
        if not self._accepting:
            raise SpoolClosed("the spool is not accepting batches")
        self.check_capacity(len(lines))
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            self._bind(loop)
        future: asyncio.Future[None] = loop.create_future()
        self._pending.append(PendingBatch(lines, received_at, future, close_after))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            loop.call_soon(self._flush)
        await future

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._schedule_tick()

    def _schedule_tick(self) -> None:
        if self._loop is not None and self._accepting:
            interval = min(1.0, self.file_seconds / 4)
            self._tick = self._loop.call_later(interval, self._on_tick)

    def _on_tick(self) -> None:
        if self._file_is_old():
            self._retire()
        self._schedule_tick()

    def _flush(self) -> None:
        """Write every pending batch and start one fsync covering them all."""
        self._flush_scheduled = False
        if not self._pending or len(self._syncs) >= MAX_FSYNCS:
            return  # a running fsync's completion flushes again
        batch, self._pending = self._pending, []
        written = self._write(batch)
        current = self._file
        if not written:
            return
        if current is None:
            resolve(written, OSError("the spool file was lost"))
            return
        current.syncing += 1
        with_dir = not current.dir_synced
        number = next(self._sync_numbers)
        self._syncs[number] = (written, current, with_dir)
        self._fsync.submit(self._sync_job, number, current.fd, with_dir)

    def _sync_job(self, number: int, fd: int, with_dir: bool) -> None:
        """In a worker thread: fsync, record the outcome, and hand it to the loop."""
        error: BaseException | None = None
        try:
            self._sync_file(fd, with_dir)
        except BaseException as exc:
            error = exc
        with self._settled:
            self._synced[number] = error
            self._settled.notify_all()
        loop = self._loop
        if loop is None or loop.is_closed():
            return  # `close` settles it
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(self._after_sync, number)

    def _after_sync(self, number: int) -> None:
        entry = self._syncs.pop(number, None)
        error = self._synced.pop(number, None)
        if entry is None:
            return  # `close` already settled this one
        items, synced_file, with_dir = entry
        synced_file.syncing -= 1
        if error is not None:
            self.stats.errors += 1
            log.error("spool_fsync_failed", error=type(error).__name__)
            if self._file is synced_file:
                self._close_file(sync=False)  # never append after a failed fsync
            resolve(items, error)
        else:
            synced_file.dir_synced = synced_file.dir_synced or with_dir
            resolve_synced(items, self.stats)
            if self._file is synced_file:
                if any(i.close_after for i in items):
                    self._close_file()  # closed before the caller ships it
                elif synced_file.size >= self.file_bytes:
                    self._retire()
        self._finish_when_idle(synced_file)
        synced_file.close_fd_when_idle()
        if self._pending and not self._flush_scheduled:
            self._flush()

    def _sync_inline(self) -> None:
        current = self._file
        if current is not None:
            self._sync_file(current.fd, not current.dir_synced)
            current.dir_synced = True

    def _sync_file(self, fd: int, with_dir: bool) -> None:
        """fdatasync `fd`; first the folder too while the file's new name may not be durable."""
        if with_dir:
            fsync_dir(self.directory)
        os.fdatasync(fd)

    def _retire(self) -> None:
        """Close the open file without blocking the loop: the next batch opens a new one.

        Once every fsync running on it is done, a helper thread fsyncs it, renames it to its
        closed name, fsyncs the folder and closes it (`_finish`); until then this process
        keeps its lock, so no shipper takes it early.
        """
        current, self._file = self._file, None
        if current is None:
            return
        current.released = True
        current.retiring = True
        self._closed_bytes += current.size
        self._finish_when_idle(current)

    def _finish_when_idle(self, retired: OpenFile) -> None:
        """Hand a retired file to a helper thread once no fsync runs on it (exactly once)."""
        if retired.retiring and retired.syncing == 0 and not retired.finishing:
            retired.finishing = True
            self._fsync.submit(self._finish, retired)

    def _finish(self, retired: OpenFile) -> None:
        """The closing half of `_retire`, in a helper thread."""
        try:
            if retired.size:
                os.fdatasync(retired.fd)
                base = retired.path.name[: -len(OPEN_SUFFIX)]
                os.rename(retired.path, retired.path.with_name(base + CLOSED_SUFFIX))
            else:
                retired.path.unlink(missing_ok=True)
            fsync_dir(self.directory)
        except OSError as exc:
            self.stats.errors += 1
            log.error("spool_close_failed", error=type(exc).__name__)
        finally:
            retired.fd_closed = True
            os.close(retired.fd)

    def _file_is_old(self) -> bool:
        return self._file is not None and (
            time.monotonic() - self._file.opened >= self.file_seconds
        )

    def _write(self, batch: list[PendingBatch]) -> list[PendingBatch]:
        """Append `batch` to the open file(s); returns the items now waiting for an fsync.

        Consecutive items of one UTC hour go to the file in a single `write`. Items of an
        earlier UTC hour than the open file, or a file that fills up, close it first (with an
        fsync, so nothing written before is left unsynced).
        """
        waiting: list[PendingBatch] = []
        run: list[PendingBatch] = []
        run_hour = -1
        for item in batch:
            if item.future.done():
                continue  # cancelled: the client went away before its lines were written
            hour = hour_number(item.received_at)
            if run and hour != run_hour:
                waiting = self._write_run(run, run_hour, waiting)
                run = []
            run_hour = hour
            run.append(item)
        if run:
            waiting = self._write_run(run, run_hour, waiting)
        return waiting

    def _write_run(
        self, run: list[PendingBatch], hour: int, waiting: list[PendingBatch]
    ) -> list[PendingBatch]:
        """Write `run` (items of one hour) with one `write`; returns `waiting` plus `run`.

        A failed write (a full disk, a short write) is cut off again: the file is left exactly
        as it was before `run`, so nothing of a refused batch is ever shipped.
        """
        try:
            current = self._file
            # a full file is retired off the loop when its fsync completes (`_after_sync`);
            # only a new UTC hour closes it here, inline
            if current is not None and current.hour != hour:
                self._sync_inline()
                resolve_synced(waiting, self.stats)
                waiting = []
                self._close_file(sync=False)
            current = self._file_for(hour, run[0].received_at)
        except OSError as exc:
            self._write_failed(exc)
            self._close_file(sync=False)
            resolve([*run, *waiting], exc)
            return []
        data = run[0].lines if len(run) == 1 else b"".join(item.lines for item in run)
        try:
            view = memoryview(data)
            while view:
                written = os.write(current.fd, view)
                view = view[written:]
        except OSError as exc:
            self._write_failed(exc)
            resolve(run, exc)
            if not self._cut_back(current):
                self._close_file(sync=False)  # it may end in a torn batch; never append after
                resolve(waiting, exc)
                return []
            return waiting
        current.size += len(data)
        return [*waiting, *run]

    def _write_failed(self, exc: OSError) -> None:
        self.stats.errors += 1
        log.error("spool_write_failed", error=type(exc).__name__, detail=str(exc)[:200])

    def _cut_back(self, current: OpenFile) -> bool:
        """Truncate `current` to what it held before the failed write; False if that failed."""
        try:
            os.ftruncate(current.fd, current.size)
        except OSError as exc:
            log.error("spool_truncate_failed", error=type(exc).__name__)
            return False
        return True

    def _file_for(self, hour: int, received_at: datetime) -> OpenFile:
        if self._file is not None and self._file.hour != hour:
            self._close_file()
        if self._file is None:
            name = object_stem(self.node, received_at, next(self._sequence))
            path = self.directory / f"{name}{OPEN_SUFFIX}"
            # Lock before the file gets a name a shipper looks for, or it could take it as
            # abandoned.
            creating = self.directory / f".{name}.creating"
            fd = os.open(creating, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            os.rename(creating, path)
            # the folder is fsynced by the first fsync covering a batch in it (`_sync_file`)
            self._file = OpenFile(path=path, fd=fd, hour=hour, opened=time.monotonic())
        return self._file

    def _close_file(self, sync: bool = True) -> None:
        """Rename the open file to its closed name (after an fsync unless told otherwise)."""
        current, self._file = self._file, None
        if current is None:
            return
        try:
            if sync and current.size:
                os.fdatasync(current.fd)
            if current.size:
                base = current.path.name[: -len(OPEN_SUFFIX)]
                os.rename(current.path, current.path.with_name(base + CLOSED_SUFFIX))
                self._closed_bytes += current.size
            else:
                current.path.unlink(missing_ok=True)
            fsync_dir(self.directory)
        except OSError as exc:
            self.stats.errors += 1
            log.error("spool_close_failed", error=type(exc).__name__)
        finally:
            current.released = True
            current.close_fd_when_idle()

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
            stamp = received_at_of(path.name)
            if stamp is not None and (oldest is None or stamp < oldest):
                oldest = stamp
        self._closed_bytes = total
        self.stats.bytes = self.usage
        self.stats.files = count
        self.stats.oldest = oldest
