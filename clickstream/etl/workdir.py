"""A run's scratch folder, and the sweep of those that killed runs left behind.

A run writes its batches' Parquet, COPY files and derive outputs under one folder
(`clickstream-etl-*` in `CLICKSTREAM_ETL_WORK_DIR`, else the system's temporary folder) and
removes it when it ends, however it ends; a run killed outright cannot. So the folder names
its owner (`owner`: host name and process id), and every run first removes the folders whose
owner was this host's process and is gone. A folder of another host (a shared work folder),
of a live process, or without an owner is left alone.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from pathlib import Path
from typing import Final

PREFIX: Final = "clickstream-etl-"
OWNER: Final = "owner"


def make_workdir(parent: Path | None) -> Path:
    """A new scratch folder under `parent` (None: the system's temporary folder), naming this
    process as its owner, after sweeping the folders of dead runs there."""
    base = parent if parent is not None else Path(tempfile.gettempdir())
    sweep(base)
    folder = Path(tempfile.mkdtemp(prefix=PREFIX, dir=base))
    (folder / OWNER).write_text(f"{socket.gethostname()} {os.getpid()}\n", encoding="utf-8")
    return folder


def sweep(base: Path) -> list[Path]:
    """Remove the scratch folders under `base` whose owner was a process of this host that no
    longer runs; the folders removed."""
    host = socket.gethostname()
    removed = []
    for folder in sorted(base.glob(PREFIX + "*")):
        pid = _owner_pid(folder, host)
        if pid is not None and not _running(pid):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _owner_pid(folder: Path, host: str) -> int | None:
    """The process id of `folder`'s owner when it was a process of `host`."""
    try:
        owner_host, pid = (folder / OWNER).read_text(encoding="utf-8").split()
        return int(pid) if owner_host == host else None
    except (OSError, ValueError):
        return None


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: running
        return True
    return True
