"""The README is the front door: it must stay true to the code it describes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ingestion.settings import SETTINGS, env_name

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_quick_start_shows_the_two_commands():
    assert "uv run just elt" in README
    assert "uv run just test" in README


def test_every_setting_is_documented_with_its_env_name():
    for _, key, _, _ in SETTINGS:
        assert f"`{key}`" in README, key
        assert f"`{env_name(key)}`" in README, env_name(key)


def test_every_just_recipe_is_documented():
    listed = subprocess.run(
        ["just", "--summary"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for recipe in listed:
        if recipe != "default":
            assert re.search(rf"`just {re.escape(recipe)}\b", README), recipe


def test_ci_runs_the_readmes_test_command():
    assert "uv run just test" in (ROOT / ".ci" / "run").read_text()


def _reliability_rows() -> list[list[str]]:
    section = README.split("## Reliability and security", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    return [[cell.strip() for cell in row.strip("|").split(" | ")] for row in rows[1:]]


def _named_tests(cell: str) -> list[tuple[Path, str | None]]:
    """`file.py` or `file.py::test_name_*` references in a "Tried by" cell.

    A bare `::name` refers to the file named before it; a path without a folder lives in
    tests/reliability/.
    """
    named: list[tuple[Path, str | None]] = []
    current: Path | None = None
    for ref in re.findall(r"`([^`]+)`", cell):
        path, _, test = ref.partition("::")
        if path.endswith(".py"):
            current = ROOT / path if "/" in path else ROOT / "tests/reliability" / path
        elif path or not test:
            continue  # a fault case name, checked separately
        assert current is not None, ref
        named.append((current, test or None))
    return named


def test_every_reliability_claim_names_the_tests_that_try_to_break_it():
    from tests.reliability.conftest import FAULT_CASES

    rows = _reliability_rows()
    assert len(rows) > 20
    for fault, *_, tried_by in rows:
        named = _named_tests(tried_by)
        assert named, f"{fault}: names no test"
        for path, test in named:
            assert path.exists(), f"{fault}: {path} does not exist"
            if test is not None:
                pattern = re.escape(test).replace(r"\*", r"\w*")
                assert re.search(rf"^def {pattern}\(", path.read_text(), re.M), (
                    f"{fault}: no test matching {test} in {path.name}"
                )
        for case in re.findall(r"cases? ((?:`\w+`(?:, )?)+)", tried_by):
            for name in re.findall(r"`(\w+)`", case):
                assert name in FAULT_CASES, f"{fault}: no fault case {name}"
