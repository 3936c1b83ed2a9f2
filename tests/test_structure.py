"""The project's module graph: no import cycles, and ingestion never reaches into analyst.

ruff has no cycle rule, so the imports are read here with `ast`, including the ones inside
functions: a function-local import that dodges a cycle at import time is still a cycle in
the design. `from package import name` counts as importing the submodule when `name` is one
(`from analyst import query`), else the package itself; importing `a.b` does not count as
importing `a` (a package's `__init__` importing its own submodules is not a cycle).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

from tests.workspace import REPO_ROOT as ROOT

PROJECT = ("ingestion", "analyst", "cli", "bench")


def project_modules() -> dict[str, Path]:
    """Dotted module name -> its file, for every module of the project's own code."""
    modules: dict[str, Path] = {}
    for top in PROJECT:
        if (ROOT / f"{top}.py").is_file():
            modules[top] = ROOT / f"{top}.py"
        for path in sorted((ROOT / top).rglob("*.py")) if (ROOT / top).is_dir() else []:
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = path
    return modules


def imported_names(module: str, path: Path, modules: Iterable[str]) -> set[str]:
    """Every dotted name the module imports, anywhere in it (top level or in a function).

    `from x import name` gives `x.name` when that is a module, else `x`.
    """
    known = set(modules)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against the importing module's package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                names.add(sub if sub in known else base)
    return names


def resolve(name: str, modules: Iterable[str]) -> str | None:
    """The project module an imported name refers to: the longest matching module."""
    known = set(modules)
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports."""
    modules = project_modules()
    graph: dict[str, set[str]] = {}
    for module, path in modules.items():
        targets = {resolve(name, modules) for name in imported_names(module, path, modules)}
        graph[module] = {t for t in targets if t is not None and t != module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path (first module repeated at the end), or None."""
    done: set[str] = set()
    for start in sorted(graph):
        if start in done:
            continue
        path: list[str] = []
        on_path: set[str] = set()
        stack: list[tuple[str, Iterable[str]]] = [(start, iter(sorted(graph.get(start, ()))))]
        path.append(start)
        on_path.add(start)
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                on_path.discard(node)
                done.add(node)
            elif child in on_path:
                return [*path[path.index(child) :], child]
            elif child not in done:
                stack.append((child, iter(sorted(graph.get(child, ())))))
                path.append(child)
                on_path.add(child)
    return None


def test_the_graph_is_read():
    """Guards against a vacuous pass: known edges, local and top-level, are seen."""
    graph = import_graph()
    assert "ingestion.errors" in graph["ingestion.commands"]
    assert "ingestion.run" in graph["ingestion.commands"]  # imported inside `elt`
    assert "analyst.query" in graph["analyst.commands"]  # `from analyst import query`


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_no_import_cycle_among_project_modules():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_ingestion_does_not_import_analyst():
    """ingestion gets the data in; analyst reads it. The dependency goes one way only."""
    modules = project_modules()
    offenders = sorted(
        f"{module} imports {name}"
        for module, path in modules.items()
        if module.startswith("ingestion")
        for name in imported_names(module, path, modules)
        if name == "analyst" or name.startswith("analyst.")
    )
    assert not offenders, offenders
