"""The README is the front door and `docs/` the reference: both must stay true to the code.

The README keeps the two commands, the recipes and the layout; the configuration table, the
bad-settings example and the reliability table live in `docs/configuration.md` and
`docs/reliability.md`, and every relative link between the pages must lead somewhere.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from ingestion.settings import SETTINGS, configuration_table, env_name
from tests.workspace import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()
DOCS = REPO_ROOT / "docs"
CONFIGURATION = (DOCS / "configuration.md").read_text()
RELIABILITY = (DOCS / "reliability.md").read_text()


def test_quick_start_shows_the_two_commands():
    assert "uv run just elt" in README
    assert "uv run just test" in README


def test_every_setting_is_documented_with_its_env_name():
    for setting in SETTINGS:
        assert f"`{setting.key}`" in CONFIGURATION, setting.key
        assert f"`{env_name(setting.key)}`" in CONFIGURATION, env_name(setting.key)


def test_every_just_recipe_is_documented():
    listed = subprocess.run(
        ["just", "--summary"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for recipe in listed:
        if recipe != "default":
            assert re.search(rf"`just {re.escape(recipe)}\b", README), recipe


def test_ci_runs_the_readmes_test_command():
    assert "uv run just test" in (REPO_ROOT / ".ci" / "run").read_text()


def _reliability_rows() -> list[list[str]]:
    section = RELIABILITY.split("# Reliability and security\n", 1)[1].split("\n## ", 1)[0]
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
            current = REPO_ROOT / path if "/" in path else REPO_ROOT / "tests/reliability" / path
        elif path or not test:
            continue  # a fault case name, checked separately
        assert current is not None, ref
        named.append((current, test or None))
    return named


def test_every_reliability_claim_names_the_tests_that_try_to_break_it():
    from tests.reliability.scenarios import FAULT_CASES

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


def _configuration_section() -> str:
    return CONFIGURATION.split("\n## Settings\n", 1)[1].split("\n## ", 1)[0].split("\n### ", 1)[0]


def _table_rows(text: str) -> list[list[str]]:
    """The cells of each row of the first markdown table in `text`."""
    lines = text.split("\n| dlt key |", 1)[1].split("\n\n", 1)[0].splitlines()
    rows = ["| dlt key |" + lines[0], *lines[1:]]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows]


def test_the_configuration_table_is_the_settings_description():
    """Every row, every cell: key, env, default, accepts and meaning, as SETTINGS has them
    (`uv run python -m ingestion.settings` prints the table to paste)."""
    shown = _table_rows(_configuration_section())
    expected = _table_rows("\n" + configuration_table() + "\n\n")
    assert [row[0] for row in shown] == [row[0] for row in expected], (
        "docs/configuration.md's table lists other settings than SETTINGS: regenerate it"
        " with `uv run python -m ingestion.settings`"
    )
    for got, want in zip(shown, expected, strict=True):
        assert got == want, f"docs row {got[0]} differs from SETTINGS: {got} != {want}"


def test_every_default_in_the_readme_is_the_codes():
    """The table shows the default SETTINGS has, the one place it is written."""
    rows = {row[0].split()[0].strip("`"): row for row in _table_rows(_configuration_section())}
    for setting in SETTINGS:
        shown = "(unset)" if setting.default is None else f"`{setting.default}`"
        assert rows[setting.key][2] == shown, f"{setting.key}: the docs say {rows[setting.key][2]}"


def test_the_bad_settings_example_is_what_a_run_prints(monkeypatch, capsys):
    """The docs' first example line, produced by the real check (nothing runs)."""
    import cli

    section = CONFIGURATION.split("\n### Bad settings\n", 1)[1]
    example = section.split("```text\n", 1)[1].splitlines()[0]
    monkeypatch.setenv(env_name("sources.analytics_api.page_size"), "abc")
    assert cli.main(["elt"]) == 2
    assert capsys.readouterr().err == example + "\n"


def test_the_configuration_section_says_where_defaults_live():
    section = CONFIGURATION.split("\n## Settings\n", 1)[1].split("\n### ", 1)[0]
    assert "`ingestion/settings.py`" in section


PAGES = [REPO_ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
#: the folder READMEs the pages link to, whose own links must lead somewhere too
FOLDER_READMES = [REPO_ROOT / p / "README.md" for p in ("transform", "bench", "tests/reliability")]


def _prose(text: str) -> str:
    """The text outside fenced code blocks and inline code spans."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.M | re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def _anchors(page: Path) -> set[str]:
    """GitHub's anchors for the headings of a markdown page (code in a heading loses its
    backticks, other punctuation goes, spaces become hyphens)."""
    text = re.sub(r"^```.*?^```", "", page.read_text(), flags=re.M | re.S)
    headings = re.findall(r"^#+ (.+)$", text, re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


def _relative_links(page: Path) -> list[str]:
    targets = re.findall(r"\[[^\]]*\]\(([^)\s]+)\)", _prose(page.read_text()))
    return [t for t in targets if not re.match(r"[a-z][a-z0-9+.-]*:", t)]


def test_every_relative_link_leads_to_a_file_and_heading():
    """README.md, docs/*.md and the folder READMEs: every relative link names a file that
    exists and, after a `#`, a heading of that file."""
    checked = 0
    for page in PAGES + FOLDER_READMES:
        for link in _relative_links(page):
            path, _, anchor = link.partition("#")
            target = (page.parent / path).resolve() if path else page
            name = page.relative_to(REPO_ROOT)
            assert target.exists(), f"{name}: link {link} leads to no file"
            if anchor:
                assert target.is_file() and anchor in _anchors(target), (
                    f"{name}: link {link}: {target.name} has no heading with anchor #{anchor}"
                )
            checked += 1
    assert checked > 20


def test_the_readme_links_every_docs_page_and_stays_short():
    linked = {(REPO_ROOT / link.partition("#")[0]).resolve() for link in _relative_links(PAGES[0])}
    for page in DOCS.glob("*.md"):
        assert page.resolve() in linked, f"README.md does not link {page.relative_to(REPO_ROOT)}"
    assert len(README.splitlines()) <= 260, (
        "README.md is the front door (about 200 lines): move reference material to docs/"
    )
