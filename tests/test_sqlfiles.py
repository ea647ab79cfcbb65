"""One loader cuts `-- name:` statements out of the ETL's and the dashboard's SQL files."""

from __future__ import annotations

from pathlib import Path

import pytest

from clickstream import sqlfiles
from clickstream.dashboard import queries
from clickstream.etl import transform

SQL = """-- A file of statements.

-- name: first
-- What the first one does.
SELECT 1
    -- an indented comment stays
FROM t;
-- This comment introduces the second statement.

-- name: second
SELECT 2;
"""


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """An importable package holding `queries.sql`, on a fresh path."""
    folder = tmp_path / "h3_sql_fixture"
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "queries.sql").write_text(SQL)
    monkeypatch.syspath_prepend(str(tmp_path))
    return folder.name


def test_named_statements_lose_their_semicolon_and_whole_line_comments(package: str) -> None:
    statements = sqlfiles.named(package, "queries.sql")

    assert statements == {
        "first": "SELECT 1\n    -- an indented comment stays\nFROM t",
        "second": "SELECT 2",
    }
    assert sqlfiles.script(package, "queries.sql") == SQL


def test_the_etl_and_the_dashboard_read_their_sql_through_the_one_loader() -> None:
    assert transform.named is sqlfiles.named
    assert transform.script is sqlfiles.script
    assert queries.statements("overview") is sqlfiles.named(queries.__name__, "overview.sql")


PARTS = """-- Shared conditions.

-- The kept rows.
-- part: kept
(a = %(a)s)
AND (b OR c)
"""


def _with_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, sql: str, parts: str = PARTS
) -> str:
    """A package of its own (loaded packages and the loader's answers are cached by name)
    holding `parts.sql` and `uses.sql`."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "__init__.py").write_text("")
    (folder / "parts.sql").write_text(parts)
    (folder / "uses.sql").write_text(sql)
    monkeypatch.syspath_prepend(str(tmp_path))
    return name


def test_a_statement_takes_a_part_by_name_on_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = "-- name: one\nSELECT 1 FROM t\nWHERE x\n    AND {{kept}};\n"
    package = _with_parts(tmp_path, monkeypatch, "h3_sql_parts_fixture", sql)

    assert sqlfiles.parts(package) == {"kept": "((a = %(a)s) AND (b OR c))"}
    assert sqlfiles.named(package, "uses.sql") == {
        "one": "SELECT 1 FROM t\nWHERE x\n    AND ((a = %(a)s) AND (b OR c))"
    }


def test_a_statement_naming_no_part_is_refused_with_both_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sql = "-- name: two\nSELECT 2 WHERE {{kep}};\n"
    package = _with_parts(tmp_path, monkeypatch, "h3_sql_typo_fixture", sql)

    with pytest.raises(sqlfiles.PartUnknown, match=r"uses\.sql: two uses \{\{kep\}\}"):
        sqlfiles.named(package, "uses.sql")


@pytest.mark.parametrize(
    ("name", "sql", "parts", "message"),
    [
        (
            "h3_sql_twice_fixture",
            "-- name: one\nSELECT 1 WHERE {{kept}};\n",
            PARTS + "-- part: kept\n(d)\n",
            r"parts\.sql: kept is defined twice",
        ),
        (
            "h3_sql_comment_fixture",
            "-- name: one\nSELECT 1 WHERE {{kept}} AND y;\n",
            "-- part: kept\n(a) -- a note\nAND (b)\n",
            r"parts\.sql: kept holds a -- comment",
        ),
        (
            "h3_sql_spaced_fixture",
            "-- name: one\nSELECT 1 WHERE {{ kept }};\n",
            PARTS,
            r"uses\.sql: one has a \{\{ or \}\} that names no part",
        ),
        (
            "h3_sql_statement_twice_fixture",
            "-- name: one\nSELECT 1;\n-- name: one\nSELECT 2;\n",
            PARTS,
            r"uses\.sql: one is defined twice",
        ),
    ],
)
def test_what_could_change_a_statement_unseen_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, sql: str, parts: str, message: str
) -> None:
    package = _with_parts(tmp_path, monkeypatch, name, sql, parts)

    with pytest.raises(sqlfiles.PartInvalid, match=message):
        sqlfiles.named(package, "uses.sql")


def test_no_dashboard_statement_keeps_a_part_unfilled() -> None:
    for page, name in queries.panels():
        assert "{{" not in queries.statement(page, name), (page, name)
