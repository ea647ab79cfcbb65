"""The fields a lake record is read by: the ETL's input contract, generated from one definition.

The contract lists every field of `LakeRecord` (the client's `Event` and what the server adds),
with `product` and `order` as nested objects and `properties` and `items` as JSON, plus the
original storefront's camelCase names (`legacy.py`) beside the fields they stand for, so that
lake records of the original system are read too. An engine supplies its own type names: every
scalar as text (it is typed and checked in the engine's SQL, so a value of the wrong type is a
rejection with a reason, not a failed read) and free-form objects and lists as JSON.
"""

from __future__ import annotations

from typing import Any

import msgspec.inspect

from clickstream.events.legacy import STOREFRONT_FIELDS, STOREFRONT_PRODUCT_FIELDS
from clickstream.events.record import LakeRecord

Contract = dict[str, str | dict[str, str]]

# Nested objects whose fields have storefront names of their own, by canonical field.
_NESTED_ALIASES = {"product": STOREFRONT_PRODUCT_FIELDS}


def _unwrapped(kind: msgspec.inspect.Type) -> msgspec.inspect.Type:
    """The type of an optional field without its `None`."""
    if isinstance(kind, msgspec.inspect.UnionType):
        present = [t for t in kind.types if not isinstance(t, msgspec.inspect.NoneType)]
        if len(present) == 1:
            return present[0]
    return kind


def _with_aliases(fields: dict[str, Any], aliases: dict[str, str]) -> dict[str, Any]:
    """`fields` with each alias inserted after the canonical field it stands for."""
    result: dict[str, Any] = {}
    for name, kind in fields.items():
        result[name] = kind
        for alias, canonical in aliases.items():
            if canonical == name:
                result[alias] = kind
    missing = set(aliases.values()) - set(fields)
    if missing:
        raise ValueError(f"storefront names stand for unknown fields: {sorted(missing)}")
    return result


def input_contract(text: str, json: str) -> Contract:
    """Every field of a lake record (and its storefront aliases) with the engine's type names.

    `text` is the type of every scalar, `json` that of free-form objects; a nested object is a
    dict of its fields, each `text`.
    """
    info = msgspec.inspect.type_info(LakeRecord)
    assert isinstance(info, msgspec.inspect.StructType)
    fields: dict[str, Any] = {}
    for field in info.fields:
        kind = _unwrapped(field.type)
        if isinstance(kind, msgspec.inspect.StructType):
            nested = dict.fromkeys((f.encode_name for f in kind.fields), text)
            aliases = _NESTED_ALIASES.get(field.encode_name, {})
            fields[field.encode_name] = _with_aliases(nested, aliases)
        elif isinstance(kind, msgspec.inspect.DictType | msgspec.inspect.ListType):
            fields[field.encode_name] = json  # `properties`; `items`, typed in the engine's SQL
        else:
            fields[field.encode_name] = text
    return _with_aliases(fields, STOREFRONT_FIELDS)
