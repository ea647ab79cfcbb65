"""The package imports nothing that only the dev extras install (`make up` installs no extras)."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~ ]", r, maxsplit=1)[0].lower() for r in requirements}


def test_package_imports_no_dev_only_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    dev_only = _names(project["optional-dependencies"]["dev"]) - _names(project["dependencies"])
    modules = {name.replace("-", "_") for name in dev_only}
    offenders = []
    for path in (ROOT / "clickstream").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                imported = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported = [node.module]
            else:
                continue
            offenders += [
                f"{path.relative_to(ROOT)}: {name}"
                for name in imported
                if name.split(".")[0].lower() in modules
            ]
    assert modules, "the dev extras should list something"
    assert offenders == []
