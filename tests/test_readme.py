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
