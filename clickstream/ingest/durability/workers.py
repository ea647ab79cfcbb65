"""A few threads that run the spool's blocking disk calls, without futures.

`concurrent.futures.ThreadPoolExecutor.submit` builds a future (a condition variable and its
lock), takes two locks and checks its thread count on every call; the spool submits one job
per group commit from the busy event loop and reports each result back itself, so a bare
queue in front of long-lived threads is all it needs.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

import structlog

log = structlog.get_logger("clickstream.ingest.workers")

Job = tuple[Callable[..., None], tuple[Any, ...]]


class DiskWorkers:
    """`count` daemon threads taking `(function, args)` jobs in order from one queue."""

    def __init__(self, count: int, name: str) -> None:
        self._jobs: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._run, name=f"{name}-{n}", daemon=True)
            for n in range(count)
        ]
        self._started = False
        self._stopped = False

    def submit(self, function: Callable[..., None], *args: Any) -> None:
        """Run `function(*args)` in a worker thread; it reports its own outcome."""
        if self._stopped:
            raise RuntimeError("the disk workers were stopped")
        if not self._started:
            self._started = True
            for thread in self._threads:
                thread.start()
        self._jobs.put((function, args))

    def stop(self, timeout: float = 60.0) -> None:
        """Run every job already submitted, then end the threads (waits up to `timeout` each)."""
        if self._stopped:
            return
        self._stopped = True
        if not self._started:
            return
        for _ in self._threads:
            self._jobs.put(None)  # after every job already queued: the queue is FIFO
        for thread in self._threads:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            function, args = job
            try:
                function(*args)
            except Exception as exc:  # a job reports its own errors; this is a bug's last stop
                log.error("disk_job_failed", error=type(exc).__name__)
