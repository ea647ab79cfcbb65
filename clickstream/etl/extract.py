"""Extract: find the lake objects to load, group them into batches and fetch their lines."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from clickstream.lake.keys import hour_of_key
from clickstream.lake.store import LakeObject, LakeStore


@dataclass(frozen=True)
class FetchedFile:
    """One lake object, decompressed; `fault` says why part of it could not be read."""

    key: str
    size: int
    hour_start: datetime
    text: str
    fault: str | None = None


# The first batch holds about `max_bytes` divided by this, and each next one twice the one
# before until they are full: PostgreSQL has nothing to load until the first is transformed,
# and loads a batch in about the time the next one takes to transform, so batches that grow
# start the two-lane pipeline sooner and keep PostgreSQL from waiting on the way up.
FIRST_BATCH_DIVISOR = 8


def batches(
    objects: Iterable[LakeObject], max_files: int, max_bytes: int
) -> Iterator[list[LakeObject]]:
    """Consecutive groups of at most `max_files` objects and about `max_bytes` compressed
    (the first one an eighth of that, the next ones twice the one before until full)."""
    batch: list[LakeObject] = []
    size = 0
    limit = max(max_bytes // FIRST_BATCH_DIVISOR, 1)
    for obj in objects:
        if batch and (len(batch) >= max_files or size + obj.size > limit):
            yield batch
            batch, size, limit = [], 0, min(limit * 2, max_bytes)
        batch.append(obj)
        size += obj.size
    if batch:
        yield batch


def decompress(data: bytes) -> tuple[bytes, str | None]:
    """The NDJSON bytes of a gzip object; a torn or corrupt stream keeps its whole lines."""
    try:
        return gzip.decompress(data), None
    except (OSError, EOFError, zlib.error) as exc:
        fault = f"corrupt gzip stream: {exc}"
    decompressor = zlib.decompressobj(wbits=31)
    try:
        out = decompressor.decompress(data)
    except zlib.error:
        return b"", fault
    # The last line of a torn stream may be cut short: keep only complete lines.
    return out[: out.rfind(b"\n") + 1], fault


def fetch(lake: LakeStore, obj: LakeObject) -> FetchedFile:
    """Download and decompress one object (invalid UTF-8 becomes U+FFFD)."""
    raw, fault = decompress(lake.get(obj.key))
    text = raw.decode("utf-8", errors="replace")
    return FetchedFile(obj.key, obj.size, hour_of_key(obj.key), text, fault)


def fetch_all(lake: LakeStore, objects: list[LakeObject], workers: int) -> list[FetchedFile]:
    """Fetch a batch concurrently (network and zlib release the GIL), in the given order."""
    if workers <= 1 or len(objects) <= 1:
        return [fetch(lake, obj) for obj in objects]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda obj: fetch(lake, obj), objects))


def direct_paths(lake: LakeStore, objects: list[LakeObject]) -> list[str] | None:
    """Paths DuckDB can open itself (a local lake), or None when it must be given the bytes."""
    from clickstream.lake.local import LocalLake

    if not isinstance(lake, LocalLake):
        return None
    return [str(lake.root / obj.key) for obj in objects]


def unfetched(objects: list[LakeObject]) -> list[FetchedFile]:
    """Descriptions of objects that DuckDB will read itself."""
    return [FetchedFile(obj.key, obj.size, hour_of_key(obj.key), "") for obj in objects]
