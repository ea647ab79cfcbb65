"""The ingest's rooms keep to their roles: the core knows no HTTP and no spool."""

from __future__ import annotations

import ast
from pathlib import Path

import clickstream.ingest

INGEST = Path(clickstream.ingest.__file__).parent
FORBIDDEN_IN_CORE = (
    "clickstream.ingest.http",
    "clickstream.ingest.durability",
    "clickstream.ingest.service",
    "starlette",
    "uvicorn",
    "asyncio",
)


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_core_imports_neither_http_nor_the_spool() -> None:
    offending = {
        f"{path.name}: {name}"
        for path in (INGEST / "core").glob("*.py")
        for name in _imports(path)
        if name.startswith(FORBIDDEN_IN_CORE)
    }
    assert offending == set()


def test_only_http_app_assembles_the_asgi_app() -> None:
    builders = {
        str(path.relative_to(INGEST))
        for path in INGEST.rglob("*.py")
        if "def build_app(" in path.read_text()
    }
    assert builders == {"http/app.py"}
