"""How pending lake files are cut into batches."""

from __future__ import annotations

from clickstream.etl.extract import batches
from clickstream.lake.store import LakeObject


def _objects(count: int, size: int) -> list[LakeObject]:
    return [LakeObject(f"events/2026/11/01/00/f{n:03d}.ndjson.gz", size) for n in range(count)]


def test_batches_start_at_an_eighth_of_the_byte_budget_and_double_until_full() -> None:
    groups = list(batches(_objects(40, 100), max_files=500, max_bytes=1600))
    assert [len(group) for group in groups] == [2, 4, 8, 16, 10]
    assert [obj for group in groups for obj in group] == _objects(40, 100)


def test_the_file_cap_holds_for_every_batch_and_a_large_file_still_goes() -> None:
    assert [len(g) for g in batches(_objects(7, 10), max_files=3, max_bytes=10_000)] == [3, 3, 1]
    assert [len(g) for g in batches(_objects(3, 5_000), max_files=9, max_bytes=1_000)] == [1, 1, 1]
