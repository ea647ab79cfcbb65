"""JSON encoding and decoding for the whole platform, through msgspec."""

from __future__ import annotations

from typing import Any

import msgspec

_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder()

DecodeError = msgspec.DecodeError


def dumps(value: Any) -> bytes:
    """Encode `value` as compact JSON bytes."""
    return _encoder.encode(value)


def loads(data: bytes | str) -> Any:
    """Decode JSON text into plain Python objects; raises `DecodeError`."""
    return _decoder.decode(data)
