"""Each default is written once: in `ingestion/settings.py` (`SETTINGS`).

`.dlt/config.toml` and `profiles.yml` may set or pass on a setting, but a literal copy of its
default there is a second place to change (and to forget): these tests fail on one.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from ingestion.http import RetryPolicy
from ingestion.load import duckdb_settings
from ingestion.settings import SETTINGS, env_name
from tests.workspace import REPO_ROOT as ROOT

DEFAULTS = {s.key: s.default for s in SETTINGS if s.default is not None}

# profiles.yml values that equal a default without being a copy of it: the name of dbt's
# DuckDB adapter and of the output dbt picks when run by hand (`just elt` and `just docs`
# pass --target elt.target).
NOT_COPIES = {
    ("analytics.target", "duckdb"),
    ("analytics.outputs.duckdb.type", "duckdb"),
}
# profiles.yml fallbacks that must mirror a setting's default, so that dbt run by hand from
# the root (`dbt docs serve`, `dbt ls`) finds the same warehouse with the same memory cap as
# `just elt`; dbt cannot read ingestion/settings.py, so these are checked equal instead.
MIRRORS = {
    ("analytics.outputs.duckdb.path", "destination.duckdb.credentials"),
    ("analytics.outputs.duckdb.settings.memory_limit", "elt.duckdb_memory_limit"),
}


def _text(value: Any) -> str:
    text = str(value).strip().lower().replace(" ", "")
    return text.removeprefix("./")


def _same(value: Any, default: Any) -> bool:
    """Whether `value`, as dlt or dbt would read it, is `default` written again."""
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value == default
        return _text(value) in ({"1", "true", "yes", "on"} if default else {"0", "false", "no"})
    if isinstance(default, int | float):
        try:
            return float(value) == float(default)
        except (TypeError, ValueError):
            return False
    return _text(value) == _text(default)


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        if isinstance(value, dict):
            flat |= _flatten(value, f"{key}.")
        else:
            flat[key] = value
    return flat


def _toml_copies(path: Path) -> list[str]:
    active = _flatten(tomllib.loads(path.read_text()))
    return [
        f"{key} = {active[key]!r}"
        for key, default in DEFAULTS.items()
        if key in active and _same(active[key], default)
    ]


def test_dlt_config_files_repeat_no_default():
    for name in ("config.toml", "secrets.toml.example"):
        path = ROOT / ".dlt" / name
        copies = _toml_copies(path)
        assert not copies, (
            f".dlt/{name} repeats defaults of ingestion/settings.py (SETTINGS): "
            + "; ".join(copies)
            + ". Remove them there (a comment naming the key is fine); change a default in"
            " SETTINGS, where the table of docs/configuration.md reads it."
        )


def test_dlt_config_still_holds_dlts_own_settings():
    """What stays in config.toml is what the code does not default: dlt's own knobs."""
    active = _flatten(tomllib.loads((ROOT / ".dlt" / "config.toml").read_text()))
    assert active["runtime.log_level"] == "ERROR"
    assert active["runtime.dlthub_telemetry"] is False
    assert active["data_writer.file_max_items"] == 10000


def _leaves(node: Any, path: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        return [leaf for k, v in node.items() for leaf in _leaves(v, f"{path}.{k}".lstrip("."))]
    return [(path, node)]


def _literals(value: str) -> list[str]:
    """The literal values a profiles.yml string can evaluate to.

    A Jinja expression contributes its quoted strings other than env var names; anything else
    is its own literal.
    """
    if "{{" not in value:
        return [value]
    names = set(re.findall(r"env_var\(\s*['\"]([^'\"]+)['\"]", value))
    quoted = re.findall(r"'([^']*)'|\"([^\"]*)\"", value)
    return [a or b for a, b in quoted if (a or b) not in names and (a or b)]


def test_profiles_yml_repeats_no_default():
    profiles = yaml.safe_load((ROOT / "profiles.yml").read_text())
    copies = []
    for path, value in _leaves(profiles):
        if not isinstance(value, str):
            continue  # numbers such as threads are dbt's own knobs
        for literal in _literals(value):
            for key, default in DEFAULTS.items():
                mirrored = (path, key) in MIRRORS
                if (path, literal) not in NOT_COPIES and not mirrored and _same(literal, default):
                    copies.append(f"{path}: {literal!r} is the default of {key}")
    assert not copies, (
        "profiles.yml repeats defaults of ingestion/settings.py (SETTINGS): "
        + "; ".join(copies)
        + ". Read the value from the env the run passes to dbt (e.g. ELT__DUCKDB_MEMORY_LIMIT)"
        " instead of writing it again."
    )


def test_dbt_reads_the_memory_cap_and_warehouse_the_run_passes():
    duckdb = yaml.safe_load((ROOT / "profiles.yml").read_text())["analytics"]["outputs"]["duckdb"]
    assert f"env_var('{env_name('elt.duckdb_memory_limit')}'" in duckdb["settings"]["memory_limit"]
    assert "env_var('DLT__CREDENTIALS__DATABASE'" in duckdb["path"]
    assert f"env_var('{env_name('destination.duckdb.credentials')}'" in duckdb["path"]


def test_the_retry_settings_default_to_the_retry_policys_own():
    """The required retry policy is written once, in `RetryPolicy`; the settings name it."""
    policy = RetryPolicy()
    keys = ("max_attempts", "backoff_factor", "max_retry_delay", "timeout")
    assert [DEFAULTS[f"runtime.request_{key}"] for key in keys] == [
        policy.max_attempts,
        policy.backoff_factor,
        policy.max_delay,
        policy.timeout,
    ]


def test_profiles_yml_fallbacks_mirror_the_settings_defaults():
    """A plain `dbt docs serve` reads the warehouse `just elt` loads, with the same cap."""
    profiles = dict(_leaves(yaml.safe_load((ROOT / "profiles.yml").read_text())))
    for path, key in sorted(MIRRORS):
        literals = _literals(profiles[path])
        assert any(_same(literal, DEFAULTS[key]) for literal in literals), (
            f"profiles.yml {path} falls back to {literals}, but the default of {key} in"
            f" ingestion/settings.py is {DEFAULTS[key]!r}: make them equal"
        )


# dbt's DuckDB only: one thread per query (see profiles.yml); the load's merges and
# pruning keep DuckDB's default of one thread per core
DBT_ONLY = {"threads": 1}


def test_dbt_and_the_load_give_duckdb_the_same_settings_besides_the_cap_and_threads():
    duckdb = yaml.safe_load((ROOT / "profiles.yml").read_text())["analytics"]["outputs"]["duckdb"]
    ours = duckdb_settings("384MB") | DBT_ONLY
    assert {k: v for k, v in duckdb["settings"].items() if k != "memory_limit"} == {
        k: v for k, v in ours.items() if k != "memory_limit"
    }
