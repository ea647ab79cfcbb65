"""The small interface every lake backend implements, and the factory that picks one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class LakeObject:
    """One object in the lake: its key relative to the lake root and its size."""

    key: str
    size: int


class LakeUnavailable(OSError):
    """The lake could not be reached or refused an operation."""


class LakeStore(Protocol):
    """Write-once object storage: objects appear whole or not at all."""

    url: str

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` durably; visible only once complete."""

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`."""

    def list(self, prefix: str) -> Iterator[LakeObject]:
        """Every complete object whose key starts with `prefix`, in key order."""

    def delete(self, key: str) -> None:
        """Remove the object `key` (erasure and retention only); a missing key is not an error."""


def open_lake(url: str) -> LakeStore:
    """The backend for `url`: a local folder for paths and `file://`, fsspec otherwise."""
    if "://" not in url or url.startswith("file://"):
        from clickstream.lake.local import LocalLake

        return LocalLake(url.removeprefix("file://"))
    from clickstream.lake.remote import RemoteLake

    return RemoteLake(url)
