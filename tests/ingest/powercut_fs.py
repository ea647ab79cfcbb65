"""A FUSE filesystem that keeps only what was synced when its power is cut.

Run as `python -m tests.ingest.powercut_fs MOUNT_POINT`; it serves one flat folder from memory
and takes commands on stdin, one a line, answering each with one line on stdout:

- `cut`: a power cut. Every file goes back to the bytes its last successful `fsync` /
  `fdatasync` made durable, the folder back to the names its last `fsync` on the folder made
  durable; then every operation fails with EIO until `boot` (the machine is off).
- `boot`: power back on.
- `fail EIO` / `fail ENOSPC`: every `fsync` of a file or the folder fails with that error until
  `heal`. As on Linux, the bytes a failed fsync should have written are lost for good: a later
  successful fsync makes the file durable with zeros there.
- `report`: a JSON object: failed fsyncs, and writes made to a file after an fsync on it failed.

It writes through (no kernel page cache, no attribute cache), so unsynced bytes live only here,
as they would in a real disk's cache at a power cut. Used by tests/ingest/test_power_cut.py.
"""

from __future__ import annotations

import errno
import json
import stat
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import mfusepy


@dataclass
class Node:
    """One file: what a reader sees now, and what would survive a power cut."""

    data: bytearray = field(default_factory=bytearray)
    durable: bytes = b""
    lost: list[tuple[int, int]] = field(default_factory=list)  # dropped by a failed fsync
    sync_failed: bool = False

    def sync(self) -> None:
        durable = bytearray(self.data)
        for start, end in self.lost:
            end = min(end, len(durable))
            durable[start:end] = bytes(max(0, end - start))
        self.durable = bytes(durable)


class PowerCutFs(mfusepy.Operations):
    """One flat folder in memory with a durable and a volatile state."""

    use_ns = True

    def __init__(self) -> None:
        self._mutex = threading.Lock()
        self.entries: dict[str, Node] = {}
        self.durable_entries: dict[str, Node] = {}
        self.handles: dict[int, Node] = {}
        self.next_handle = 1
        self.off = False
        self.failing: int | None = None
        self.failed_syncs = 0
        self.writes_after_failed_sync = 0
        self.started = time.time_ns()

    # --- control ---------------------------------------------------------------------------
    def command(self, line: str) -> str:
        words = line.split()
        with self._mutex:
            if words == ["cut"]:
                self.entries = dict(self.durable_entries)
                for node in self.entries.values():
                    node.data = bytearray(node.durable)
                self.handles.clear()
                self.off = True
            elif words == ["boot"]:
                self.off = False
            elif len(words) == 2 and words[0] == "fail":
                self.failing = getattr(errno, words[1])
            elif words == ["heal"]:
                self.failing = None
            elif words == ["report"]:
                return json.dumps(
                    {
                        "failed_syncs": self.failed_syncs,
                        "writes_after_failed_sync": self.writes_after_failed_sync,
                    }
                )
            else:
                return f"unknown command {line!r}"
        return "ok"

    # --- helpers ---------------------------------------------------------------------------
    def _check(self) -> None:
        if self.off:
            raise mfusepy.FuseOSError(errno.EIO)

    def _name(self, path: str) -> str:
        name = path.lstrip("/")
        if "/" in name:
            raise mfusepy.FuseOSError(errno.ENOENT)
        return name

    def _node(self, path: str) -> Node:
        node = self.entries.get(self._name(path))
        if node is None:
            raise mfusepy.FuseOSError(errno.ENOENT)
        return node

    def _handle(self, node: Node) -> int:
        number = self.next_handle
        self.next_handle += 1
        self.handles[number] = node
        return number

    def _by_handle(self, path: str, fh: int) -> Node:
        node = self.handles.get(fh)
        return node if node is not None else self._node(path)

    # --- operations ------------------------------------------------------------------------
    def getattr(self, path: str, fh: int | None = None) -> dict[str, Any]:
        with self._mutex:
            self._check()
            times = {"st_atime": self.started, "st_mtime": self.started, "st_ctime": self.started}
            if path == "/":
                return {"st_mode": stat.S_IFDIR | 0o755, "st_nlink": 2, **times}
            node = self.handles.get(fh) if fh else None
            node = node or self._node(path)
            return {
                "st_mode": stat.S_IFREG | 0o600,
                "st_nlink": 1,
                "st_size": len(node.data),
                **times,
            }

    def readdir(self, path: str, fh: int) -> list[str]:
        with self._mutex:
            self._check()
            return [".", "..", *self.entries]

    def create(self, path: str, mode: int, fi: Any = None) -> int:
        with self._mutex:
            self._check()
            node = Node()
            self.entries[self._name(path)] = node
            return self._handle(node)

    def open(self, path: str, flags: int) -> int:
        with self._mutex:
            self._check()
            return self._handle(self._node(path))

    def read(self, path: str, size: int, offset: int, fh: int) -> bytes:
        with self._mutex:
            self._check()
            return bytes(self._by_handle(path, fh).data[offset : offset + size])

    def write(self, path: str, data: bytes, offset: int, fh: int) -> int:
        with self._mutex:
            self._check()
            node = self._by_handle(path, fh)
            if node.sync_failed:
                self.writes_after_failed_sync += 1
            if offset > len(node.data):
                node.data.extend(bytes(offset - len(node.data)))
            node.data[offset : offset + len(data)] = data
            return len(data)

    def truncate(self, path: str, length: int, fh: int | None = None) -> int:
        with self._mutex:
            self._check()
            node = self.handles.get(fh) if fh else None
            node = node or self._node(path)
            del node.data[length:]
            node.data.extend(bytes(length - len(node.data)))
            return 0

    def fsync(self, path: str, datasync: int, fh: int) -> int:
        with self._mutex:
            self._check()
            node = self._by_handle(path, fh)
            if self.failing is not None:
                self.failed_syncs += 1
                node.sync_failed = True
                node.lost.append((len(node.durable), len(node.data)))
                raise mfusepy.FuseOSError(self.failing)
            node.sync()
            return 0

    def fsyncdir(self, path: str, datasync: int, fh: int) -> int:
        with self._mutex:
            self._check()
            if self.failing is not None:
                self.failed_syncs += 1
                raise mfusepy.FuseOSError(self.failing)
            self.durable_entries = dict(self.entries)
            return 0

    def rename(self, old: str, new: str) -> int:
        with self._mutex:
            self._check()
            node = self._node(old)
            del self.entries[self._name(old)]
            self.entries[self._name(new)] = node
            return 0

    def unlink(self, path: str) -> int:
        with self._mutex:
            self._check()
            self._node(path)
            del self.entries[self._name(path)]
            return 0

    def release(self, path: str, fh: int) -> int:
        with self._mutex:
            self.handles.pop(fh, None)
            return 0

    def flush(self, path: str, fh: int) -> int:
        return 0

    def utimens(self, path: str, times: Any = None) -> int:
        return 0

    def chmod(self, path: str, mode: int) -> int:
        return 0

    def statfs(self, path: str) -> dict[str, int]:
        blocks = 1 << 20
        return {
            "f_bsize": 4096,
            "f_frsize": 4096,
            "f_blocks": blocks,
            "f_bfree": blocks,
            "f_bavail": blocks,
            "f_files": 1 << 16,
            "f_ffree": 1 << 16,
            "f_namemax": 255,
        }


def _serve_commands(fs: PowerCutFs, mount_point: str) -> None:
    for line in sys.stdin:
        print(fs.command(line.strip()), flush=True)
    # the test went away: unmount, which ends the FUSE loop
    subprocess.run(["fusermount3", "-u", "-z", mount_point], check=False)


def main() -> None:
    mount_point = sys.argv[1]
    fs = PowerCutFs()
    threading.Thread(target=_serve_commands, args=(fs, mount_point), daemon=True).start()
    mfusepy.FUSE(
        fs,
        mount_point,
        foreground=True,
        direct_io=True,
        entry_timeout=0,
        attr_timeout=0,
        negative_timeout=0,
    )


if __name__ == "__main__":
    main()
