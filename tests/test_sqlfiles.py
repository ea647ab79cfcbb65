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
