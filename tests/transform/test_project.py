"""Project configuration that other components rely on."""

from __future__ import annotations

import json
from pathlib import Path

import jinja2
import pytest
import yaml

from tests.workspace import REPO_ROOT

MACRO = Path(REPO_ROOT, "transform", "macros", "generate_schema_name.sql")


def generate_schema_name(custom_schema: str | None, dbt_vars: dict) -> str:
    """Render the project's generate_schema_name macro the way dbt calls it."""
    env = jinja2.Environment(undefined=jinja2.StrictUndefined)
    env.globals["target"] = {"schema": "main"}
    env.globals["var"] = lambda name, default=None: dbt_vars.get(name, default)
    module = env.from_string(MACRO.read_text()).module
    return str(module.generate_schema_name(custom_schema, None)).strip()


@pytest.mark.parametrize("custom_schema", ["staging", "intermediate", "marts"])
def test_custom_schemas_are_used_verbatim(custom_schema):
    assert generate_schema_name(custom_schema, {}) == custom_schema


def test_schema_suffix_var_is_appended_to_custom_schemas():
    assert generate_schema_name("marts", {"schema_suffix": "__build"}) == "marts__build"


def test_nodes_without_custom_schema_use_the_target_schema():
    assert generate_schema_name(None, {"schema_suffix": "__build"}) == "main"


def test_dbt_project_uses_the_settled_names_and_paths():
    project = yaml.safe_load(Path(REPO_ROOT, "dbt_project.yml").read_text())
    assert (project["name"], project["profile"]) == ("incident_analytics", "analytics")
    assert project["model-paths"] == ["transform/models"]
    assert project["test-paths"] == ["tests/dbt"]
    profiles = yaml.safe_load(Path(REPO_ROOT, "profiles.yml").read_text())
    duckdb_output = profiles["analytics"]["outputs"]["duckdb"]
    assert "extensions" not in duckdb_output
    assert "DLT__CREDENTIALS__DATABASE" in duckdb_output["path"]
    assert "DESTINATION__DUCKDB__CREDENTIALS" in duckdb_output["path"]


def test_the_ci_build_runs_every_dbt_unit_test(built_warehouse):
    """`just elt` leaves unit tests out (fixed inputs, nothing to learn from new data), so
    this build is where they must run and pass."""
    results = json.loads((built_warehouse.target_path / "run_results.json").read_text())
    unit = [r for r in results["results"] if r["unique_id"].startswith("unit_test.")]
    defined = list(built_warehouse.manifest["unit_tests"])
    assert len(unit) == len(defined) > 0
    assert {r["status"] for r in unit} == {"pass"}
