"""The days derived ahead hand their COPY files over table by table (`compute.PendingFiles`)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from clickstream.etl.derive.compute import DERIVED_TABLES, WRITE_ORDER, PendingFiles


def test_every_derived_table_is_written_once_sessions_and_steps_first() -> None:
    assert sorted(WRITE_ORDER) == sorted(DERIVED_TABLES)
    assert WRITE_ORDER[0] == "sessions"
    assert WRITE_ORDER.index("session_steps") < WRITE_ORDER.index("product_daily")


def test_a_table_is_read_only_once_its_file_is_written(tmp_path: Path) -> None:
    files = PendingFiles()
    read: list[Path] = []
    reader = threading.Thread(target=lambda: read.append(files["sessions"]))
    reader.start()
    reader.join(timeout=0.2)
    assert reader.is_alive() and read == []  # still waiting: nothing written yet
    files.written("sessions", tmp_path / "sessions.pgcopy")
    reader.join(timeout=5)
    assert read == [tmp_path / "sessions.pgcopy"]
    assert list(files) == list(WRITE_ORDER)


def test_a_failed_writer_fails_every_table_not_yet_written(tmp_path: Path) -> None:
    files = PendingFiles()
    files.written("sessions", tmp_path / "sessions.pgcopy")
    files.failed(RuntimeError("out of memory"))
    assert files["sessions"] == tmp_path / "sessions.pgcopy"
    with pytest.raises(RuntimeError, match="out of memory"):
        files["journey_daily"]


def test_asking_whether_a_table_is_listed_does_not_wait_for_its_file() -> None:
    files = PendingFiles()
    assert "sessions" in files and "no_such_table" not in files  # nothing written yet
