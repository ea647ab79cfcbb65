"""The media store: product images under fingerprinted keys, in a folder or an fsspec URL.

Kept apart from the raw-event lake (docs/architecture.md). Keys carry a content hash, so the
shop can serve them as immutable with a long cache lifetime.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import fsspec


class MediaNotFound(LookupError):
    """No media object under that key."""


def _safe(key: str) -> str:
    parts = key.split("/")
    if not key or any(p in ("", ".", "..") for p in parts) or "\\" in key:
        raise MediaNotFound(key)
    return key


class MediaStore:
    """Read and write media objects under one root (a local folder or an fsspec URL)."""

    def __init__(self, location: str) -> None:
        self.location = location.rstrip("/")
        self.local = "://" not in location
        if self.local:
            Path(location).mkdir(parents=True, exist_ok=True)
            self.fs = None
        else:
            self.fs, self.root = fsspec.core.url_to_fs(location)

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (atomically for a local folder)."""
        key = _safe(key)
        if self.fs is not None:
            self.fs.pipe_file(f"{self.root}/{key}", data)
            return
        path = Path(self.location) / key
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def get(self, key: str) -> bytes:
        """The bytes under `key`; raises `MediaNotFound`."""
        key = _safe(key)
        try:
            if self.fs is not None:
                return bytes(self.fs.cat_file(f"{self.root}/{key}"))
            return (Path(self.location) / key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise MediaNotFound(key) from None

    def exists(self, key: str) -> bool:
        """Whether `key` is stored."""
        try:
            self.get(key)
        except MediaNotFound:
            return False
        return True


def fingerprinted_key(prefix: str, name: str, data: bytes, suffix: str) -> str:
    """`prefix/name-<hash>.suffix`: a key that changes whenever the content does."""
    digest = hashlib.sha256(data).hexdigest()[:12]
    return f"{prefix}/{name}-{digest}.{suffix}"


def etag_of(data: bytes) -> str:
    """A strong ETag for `data`."""
    return '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
