"""A small HyperLogLog sketch of visitor ids: counts distinct visitors in fixed memory.

Ids are hashed (BLAKE2b, 64 bits) as they arrive and only registers are kept, so no id, raw or
hashed, is stored or leaves the process. Sketches merge by taking the larger register, which is
how minutes, worker processes and replicas are added up without counting a visitor twice.
With 2^11 registers the standard error is about 2.3%; small counts (the usual case over a few
minutes) are estimated by linear counting and come out exact or within one.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from hashlib import blake2b

PRECISION = 11
REGISTERS = 1 << PRECISION
_REST_BITS = 64 - PRECISION
_REST_MASK = (1 << _REST_BITS) - 1
_RANK_BITS = 6  # a rank is at most 54: it fits in 6 bits beside the register's index
_ALPHA = 0.7213 / (1 + 1.079 / REGISTERS)


class Sketch:
    """Distinct visitors, approximately, in `REGISTERS` bytes."""

    __slots__ = ("registers",)

    def __init__(self) -> None:
        self.registers = bytearray(REGISTERS)

    def add(self, visitor: str) -> None:
        """Count `visitor` (hashed at once; the id itself is not kept)."""
        hashed = int.from_bytes(blake2b(visitor.encode(), digest_size=8).digest(), "big")
        index = hashed >> _REST_BITS
        rank = _REST_BITS - (hashed & _REST_MASK).bit_length() + 1
        if self.registers[index] < rank:
            self.registers[index] = rank

    def merge(self, other: Sketch) -> None:
        """Add `other`'s visitors to these (a visitor in both counts once)."""
        mine = self.registers
        for index, rank in enumerate(other.registers):
            if rank > mine[index]:
                mine[index] = rank

    def estimate(self) -> int:
        """The number of distinct visitors added, estimated."""
        registers = self.registers
        empty = registers.count(0)
        if empty == REGISTERS:
            return 0
        raw = _ALPHA * REGISTERS * REGISTERS / sum(2.0**-rank for rank in registers)
        if raw <= 2.5 * REGISTERS and empty:
            return round(REGISTERS * math.log(REGISTERS / empty))
        return round(raw)

    def packed(self) -> list[int]:
        """The non-empty registers as `index << 6 | rank` integers (compact JSON)."""
        return [i << _RANK_BITS | r for i, r in enumerate(self.registers) if r]

    @classmethod
    def unpacked(cls, values: Iterable[int]) -> Sketch:
        """The sketch `packed` described; values out of range are ignored."""
        sketch = cls()
        registers = sketch.registers
        for value in values:
            index, rank = int(value) >> _RANK_BITS, int(value) & ((1 << _RANK_BITS) - 1)
            if 0 <= index < REGISTERS and rank > registers[index]:
                registers[index] = rank
        return sketch
