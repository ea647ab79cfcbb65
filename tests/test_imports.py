"""The direction of imports inside `clickstream/`, read from the source with `ast`.

No two top-level parts import each other (directly or round a longer cycle), the user pool
(`auth`) never imports the shop built on it, and a CLI module never reaches for another CLI
module's private (`_name`) helpers: shared ones live in `cli/common.py`. Above all, every part
imports only parts of a lower layer (docs/architecture.md): the helpers and settings at the
bottom, then the event contract and the lake, the warehouse layer, the stages that write it
(ingest, ETL) beside auth and the tracker, the parts that read it (dashboard, ops) beside the
shop, the scheduler, the runtime, and the CLI on top.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "clickstream"


@dataclass(frozen=True)
class Import:
    """One imported module (and the names taken from it) in one of our modules."""

    module: str  # the importing module, e.g. clickstream.cli.main
    target: str  # the imported module, e.g. clickstream.settings
    names: tuple[str, ...]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> Iterator[Import]:
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Import(module, alias.name, ())
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = tuple(alias.name for alias in node.names)
            yield Import(module, base, names)
            for name in names:  # `from clickstream.cli import main` imports a module too
                if (
                    (PACKAGE.parent / (base + "." + name).replace(".", "/"))
                    .with_suffix(".py")
                    .exists()
                ):
                    yield Import(module, f"{base}.{name}", ())


def all_imports() -> list[Import]:
    found = [imp for path in sorted(PACKAGE.rglob("*.py")) for imp in imports_of(path)]
    return [imp for imp in found if imp.target.split(".")[0] == "clickstream"]


def part_of(module: str) -> str:
    """The top-level part: `clickstream.etl.derive.days` -> `etl`, `clickstream.utc` -> `utc`."""
    return module.split(".")[1] if "." in module else module


def part_graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for imp in all_imports():
        source, target = part_of(imp.module), part_of(imp.target)
        graph.setdefault(source, set())
        if source != target and target != "clickstream":
            graph[source].add(target)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every part that can reach itself, with one path back to it."""
    found = []
    for start in sorted(graph):
        paths = [[start, nxt] for nxt in sorted(graph[start])]
        seen: set[str] = set()
        while paths:
            path = paths.pop()
            if path[-1] == start:
                found.append(path)
                break
            if path[-1] in seen:
                continue
            seen.add(path[-1])
            paths.extend([*path, nxt] for nxt in sorted(graph.get(path[-1], ())))
    return found


# Lowest first. A part may import any part of a lower layer, never one of its own or a higher.
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"utc", "jsonio", "sqlfiles", "settings"}),
    frozenset({"events", "lake"}),
    frozenset({"warehouse"}),
    frozenset({"ingest", "etl", "auth", "tracker"}),
    frozenset({"dashboard", "ops", "shop"}),
    frozenset({"scheduler"}),
    frozenset({"runtime", "aws"}),
    frozenset({"cli"}),
    frozenset({"__main__"}),
)


def layer_of(part: str) -> int:
    for number, parts in enumerate(LAYERS):
        if part in parts:
            return number
    raise AssertionError(f"clickstream/{part} has no layer in LAYERS: give it one")


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Every (importer, imported) pair where the imported part is not in a lower layer."""
    return sorted(
        (source, target)
        for source, targets in graph.items()
        for target in targets
        if layer_of(target) >= layer_of(source)
    )


def test_every_part_imports_only_lower_layers() -> None:
    assert upward_imports(part_graph()) == []


def test_layer_check_catches_an_upward_import() -> None:
    assert upward_imports({"warehouse": {"etl"}, "etl": {"warehouse"}}) == [("warehouse", "etl")]
    assert upward_imports({"ingest": {"etl"}}) == [("ingest", "etl")]


def test_the_check_sees_our_imports() -> None:
    graph = part_graph()
    assert {"cli", "auth", "shop", "etl", "ingest"} <= set(graph)
    assert "settings" in graph["cli"] and "auth" in graph["shop"]


def test_no_cycle_between_top_level_parts() -> None:
    assert cycles(part_graph()) == []


def test_auth_never_imports_the_shop() -> None:
    offending = [imp for imp in all_imports() if part_of(imp.module) == "auth"]
    assert [imp for imp in offending if part_of(imp.target) == "shop"] == []


def test_cli_modules_never_import_private_names_from_each_other() -> None:
    private = [
        imp
        for imp in all_imports()
        if part_of(imp.module) == "cli"
        and part_of(imp.target) == "cli"
        and any(name.startswith("_") for name in imp.names)
    ]
    assert private == []


def test_cycle_finder_finds_a_cycle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) != []
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []
