"""A run's scratch folder names its owner; a later run removes only the folders of this
host's processes that are gone."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from clickstream.etl.workdir import OWNER, PREFIX, make_workdir, sweep


def _dead_pid() -> int:
    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(child.stdout)


def _folder(base: Path, name: str, owner: str | None) -> Path:
    folder = base / f"{PREFIX}{name}"
    folder.mkdir()
    (folder / "batch.parquet").write_bytes(b"x")
    if owner is not None:
        (folder / OWNER).write_text(owner)
    return folder


def test_only_folders_of_gone_processes_of_this_host_are_swept(tmp_path: Path) -> None:
    host = socket.gethostname()
    dead = _folder(tmp_path, "dead", f"{host} {_dead_pid()}\n")
    alive = _folder(tmp_path, "alive", f"{host} {os.getpid()}\n")
    elsewhere = _folder(tmp_path, "elsewhere", f"another-{host} {_dead_pid()}\n")
    unowned = _folder(tmp_path, "unowned", None)
    garbled = _folder(tmp_path, "garbled", "not an owner")
    unrelated = tmp_path / "other-dead"
    unrelated.mkdir()

    assert sweep(tmp_path) == [dead]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for p in (alive, elsewhere, unowned, garbled, unrelated)
    )


def test_a_new_folder_names_this_process_and_sweeps_first(tmp_path: Path) -> None:
    dead = _folder(tmp_path, "dead", f"{socket.gethostname()} {_dead_pid()}\n")

    made = make_workdir(tmp_path)

    assert not dead.exists()
    assert made.parent == tmp_path and made.name.startswith(PREFIX)
    assert (made / OWNER).read_text() == f"{socket.gethostname()} {os.getpid()}\n"
    assert sweep(tmp_path) == []  # its owner runs
