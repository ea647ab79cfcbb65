"""A lake on any fsspec filesystem (S3 and friends), where a single put is already atomic."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fsspec

from clickstream.lake.store import LakeObject, LakeUnavailable


class RemoteLake:
    """Lake objects under an fsspec URL such as `s3://bucket/prefix`."""

    def __init__(self, url: str, **storage_options: Any) -> None:
        self.url = url.rstrip("/")
        self.fs, self.root = fsspec.core.url_to_fs(self.url, **storage_options)
        self.root = self.root.rstrip("/")

    def put(self, key: str, data: bytes) -> None:
        """Upload `data` as one object; S3 makes it visible only when complete."""
        try:
            self.fs.pipe_file(f"{self.root}/{key}", data)
        except Exception as exc:
            raise LakeUnavailable(f"could not write {key} to {self.url}: {exc}") from exc

    def get(self, key: str) -> bytes:
        """Download the object `key`."""
        try:
            return bytes(self.fs.cat_file(f"{self.root}/{key}"))
        except FileNotFoundError:
            raise
        except Exception as exc:
            raise LakeUnavailable(f"could not read {key} from {self.url}: {exc}") from exc

    def delete(self, key: str) -> None:
        """Remove the object `key`."""
        try:
            self.fs.rm_file(f"{self.root}/{key}")
        except FileNotFoundError:
            return
        except Exception as exc:
            raise LakeUnavailable(f"could not delete {key} from {self.url}: {exc}") from exc

    def list(self, prefix: str) -> Iterator[LakeObject]:
        """Objects under `prefix` in key order (the backend pages through the listing)."""
        try:
            self.fs.invalidate_cache()
            found = self.fs.find(f"{self.root}/{prefix}", detail=True)
        except FileNotFoundError:
            return
        except Exception as exc:
            raise LakeUnavailable(f"could not list {self.url}: {exc}") from exc
        start = len(self.root) + 1
        for path in sorted(found):
            yield LakeObject(key=path[start:], size=int(found[path].get("size") or 0))
