"""Every third-party package the code imports is declared in pyproject.toml.

A package that only arrives as someone else's dependency (dlt's, dbt's) can disappear or
change major version with their next release; declaring what we import keeps `uv sync` honest.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

from tests.workspace import REPO_ROOT as ROOT

# where the runtime code lives: its imports belong in [project].dependencies
RUNTIME = ("ingestion", "analyst", "cli.py")
# tests and the benchmark may also use the dev group
DEV = ("tests", "bench")
LOCAL = {"ingestion", "analyst", "bench", "tests", "cli", "__future__"}


def _files(*places: str) -> list[Path]:
    files: list[Path] = []
    for place in places:
        path = ROOT / place
        files.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return files


def _imported(path: Path) -> set[str]:
    """Top-level names of absolute imports, and of `pytest.importorskip("name")`."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "importorskip"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            names.add(node.args[0].value)
    return {name.split(".")[0] for name in names}


def _third_party(places: tuple[str, ...]) -> dict[str, set[str]]:
    """Imported top-level module -> the files that import it, stdlib and our own left out."""
    found: dict[str, set[str]] = {}
    for path in _files(*places):
        for name in _imported(path) - LOCAL - set(sys.stdlib_module_names):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def _normalize(distribution: str) -> str:
    return re.sub(r"[-_.]+", "-", distribution).lower()


def _declared(*groups: str) -> set[str]:
    """Distribution names in [project].dependencies (and the named dependency groups)."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    requirements = list(pyproject["project"]["dependencies"])
    for group in groups:
        requirements += pyproject["dependency-groups"][group]
    return {_normalize(re.match(r"[A-Za-z0-9_.-]+", req).group(0)) for req in requirements}


def _undeclared(places: tuple[str, ...], declared: set[str]) -> list[str]:
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, files in sorted(_third_party(places).items()):
        provided_by = {_normalize(d) for d in distributions.get(module, [])}
        if not provided_by:
            missing.append(f"{module} (not installed; imported by {', '.join(sorted(files))})")
        elif not provided_by & declared:
            missing.append(
                f"{module} (distribution {' or '.join(sorted(provided_by))};"
                f" imported by {', '.join(sorted(files))})"
            )
    return missing


def test_the_scan_sees_the_imports_it_should():
    runtime = _third_party(RUNTIME)
    assert {"dlt", "duckdb", "orjson", "yaml", "pyarrow"} <= set(runtime)
    assert "pytest" in _third_party(DEV)


def test_runtime_imports_are_project_dependencies():
    missing = _undeclared(RUNTIME, _declared())
    assert not missing, (
        "imported by the runtime code but not in pyproject.toml [project].dependencies: "
        + "; ".join(missing)
    )


def test_test_and_bench_imports_are_declared():
    missing = _undeclared(DEV, _declared("dev"))
    assert not missing, (
        "imported by tests/ or bench/ but not in pyproject.toml [project].dependencies"
        " or [dependency-groups].dev: " + "; ".join(missing)
    )
