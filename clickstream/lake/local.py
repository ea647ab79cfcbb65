"""A lake on a local folder: write to a hidden temporary file, fsync, rename, fsync the folder."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

from clickstream.lake.store import LakeObject


class LocalLake:
    """Lake objects as files under `root`; readers never see a partial object."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        self.url = str(self.root)

    def _path(self, key: str) -> Path:
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root):
            raise ValueError(f"lake key {key!r} escapes the lake root")
        return path

    def put(self, key: str, data: bytes) -> None:
        """Write atomically and durably: the object exists whole after return, or not at all."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
        os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(path.parent)

    def get(self, key: str) -> bytes:
        """The bytes of the object `key`."""
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        """Remove the object `key` durably."""
        path = self._path(key)
        try:
            path.unlink()
        except FileNotFoundError:
            return
        _fsync_dir(path.parent)

    def list(self, prefix: str) -> Iterator[LakeObject]:
        """Complete objects under `prefix`, sorted by key; temporary files are skipped."""
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if not base.exists():
            return
        found: list[LakeObject] = []
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for name in filenames:
                if name.startswith("."):
                    continue
                path = Path(dirpath) / name
                key = path.relative_to(self.root).as_posix()
                found.append(LakeObject(key=key, size=path.stat().st_size))
        yield from sorted(found, key=lambda obj: obj.key)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
