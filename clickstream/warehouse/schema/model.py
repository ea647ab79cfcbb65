"""How a table is written down: `Column`, `Table` and `table()`.

A column is written as PostgreSQL's `format_type` names it (`timestamptz` is short for
`timestamp with time zone`), followed by `not null` where it is.
"""

from __future__ import annotations

from dataclasses import dataclass

_TYPE_ALIASES = {"timestamptz": "timestamp with time zone"}
_NOT_NULL = " not null"


@dataclass(frozen=True)
class Column:
    """One column: its name, its type as `format_type` prints it, and whether it is NOT NULL."""

    name: str
    type: str
    not_null: bool = False

    @classmethod
    def parse(cls, text: str) -> Column:
        """A column from `"name type"` or `"name type not null"`."""
        name, _, rest = text.partition(" ")
        not_null = rest.endswith(_NOT_NULL)
        if not_null:
            rest = rest[: -len(_NOT_NULL)]
        if not name or not rest:
            raise ValueError(f"a column needs a name and a type: {text!r}")
        return cls(name, _TYPE_ALIASES.get(rest, rest), not_null)


@dataclass(frozen=True)
class Table:
    """One table: its name, its columns in order and its primary key (empty when it has none)."""

    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        """The names of the columns, in table order."""
        return tuple(column.name for column in self.columns)


def table(name: str, *columns: str, key: tuple[str, ...] = ()) -> Table:
    """A `Table` from column texts (see `Column.parse`); the key must name its columns."""
    parsed = tuple(Column.parse(text) for text in columns)
    unknown = set(key) - {column.name for column in parsed}
    if unknown:
        raise ValueError(f"{name}: the primary key names no column {sorted(unknown)}")
    return Table(name, parsed, key)
