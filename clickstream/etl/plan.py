"""Plan a run: the lake must be there; its files not yet in the manifest, cut into batches."""

from __future__ import annotations

import psycopg

from clickstream.etl.extract import batches
from clickstream.lake.local import LocalLake
from clickstream.lake.store import LakeObject, LakeStore
from clickstream.warehouse.manifest import pending_files


class LakeMissing(RuntimeError):
    """The lake's folder does not exist or is not a folder: nothing could be loaded from it."""


def check_lake(lake: LakeStore) -> None:
    """Raise `LakeMissing` when a local lake's root is not an existing folder.

    A folder lists as empty whether it is missing or merely empty; only the second is a
    success. (A remote lake that is not there fails its listing by itself.)
    """
    if not isinstance(lake, LocalLake):
        return
    if not lake.root.exists():
        raise LakeMissing(f"the lake {lake.root} does not exist (CLICKSTREAM_LAKE_URL)")
    if not lake.root.is_dir():
        raise LakeMissing(f"the lake {lake.root} is not a folder (CLICKSTREAM_LAKE_URL)")


def plan_batches(
    conn: psycopg.Connection, lake: LakeStore, max_files: int, max_bytes: int
) -> list[list[LakeObject]]:
    """The pending lake files in key order, in batches (see `extract.batches`)."""
    check_lake(lake)
    return list(batches(pending_files(conn, lake), max_files, max_bytes))
