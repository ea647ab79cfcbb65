"""The spool's disk worker threads: every submitted job runs, a failing job stops nothing."""

from __future__ import annotations

import threading
import time

import pytest

from clickstream.ingest.durability.workers import DiskWorkers


def test_stop_runs_every_job_already_submitted_before_the_threads_end() -> None:
    workers = DiskWorkers(3, "test-disk")
    done: list[int] = []
    lock = threading.Lock()

    def job(n: int) -> None:
        time.sleep(0.002)
        with lock:
            done.append(n)

    for n in range(60):
        workers.submit(job, n)
    workers.stop()

    assert sorted(done) == list(range(60))


def test_a_job_that_raises_leaves_the_worker_running_later_jobs() -> None:
    workers = DiskWorkers(1, "test-disk")
    ran = threading.Event()

    def broken() -> None:
        raise OSError("disk gone")

    workers.submit(broken)
    workers.submit(ran.set)

    assert ran.wait(timeout=10)
    workers.stop()


def test_submitting_after_stop_is_refused() -> None:
    workers = DiskWorkers(2, "test-disk")
    workers.stop()

    with pytest.raises(RuntimeError):
        workers.submit(print)
