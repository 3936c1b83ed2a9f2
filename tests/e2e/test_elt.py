"""`just elt` on the embedded default: demo API -> dlt -> DuckDB -> dbt, from the justfile."""

from __future__ import annotations

import pytest

from ingestion.demo_api import run_demo_api

pytestmark = pytest.mark.e2e

DEMO = {"ELT__DEMO_API__INCIDENTS": "230", "ELT__DEMO_API__DASHBOARDS": "17"}


def api_totals(workspace) -> dict[str, int]:
    """What the demo API says it holds: `meta.total_count` per collection."""
    import requests

    with run_demo_api(
        seed=42, incidents=230, dashboards=17, state_dir=str(workspace.demo_state_dir)
    ) as api:
        headers = {"Authorization": f"Bearer {api.token}"}
        return {
            name: requests.get(
                f"{api.base_url}{name}", params={"page[size]": 1}, headers=headers, timeout=10
            ).json()["meta"]["total_count"]
            for name in ("incidents", "dashboards")
        }


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    from tests.e2e.conftest import Workspace

    workspace = Workspace(tmp_path_factory.mktemp("elt"))
    result = workspace.just("elt", **DEMO)
    return workspace, result


def test_elt_exits_zero_and_prints_a_summary(first_run):
    workspace, result = first_run
    assert result.returncode == 0, result.stderr
    assert "ELT finished" in result.stdout
    assert "incidents" in result.stdout and "dashboards" in result.stdout
    assert str(workspace.duckdb_path) in result.stdout


def test_raw_row_counts_equal_the_apis_total_count(first_run):
    workspace, _ = first_run
    totals = api_totals(workspace)
    assert workspace.scalar("select count(*) from raw.incidents") == totals["incidents"]
    current = "select count(*) from raw.dashboards where _dlt_valid_to is null"
    assert workspace.scalar(current) == totals["dashboards"]


def test_marts_are_built_from_the_load(first_run):
    workspace, _ = first_run
    assert workspace.scalar("select count(*) from marts.fct_incidents") == workspace.scalar(
        "select count(*) from raw.incidents"
    )


def test_a_second_run_leaves_the_counts_unchanged(first_run):
    workspace, _ = first_run
    before = workspace.scalar("select count(*) from raw.incidents")
    dashboards_before = workspace.scalar("select count(*) from raw.dashboards")
    result = workspace.just("elt", **DEMO)
    assert result.returncode == 0, result.stderr
    assert workspace.scalar("select count(*) from raw.incidents") == before
    assert workspace.scalar("select count(distinct id) from raw.incidents") == before
    assert workspace.scalar("select count(*) from raw.dashboards") == dashboards_before


def test_query_prints_the_raw_count(first_run):
    workspace, _ = first_run
    result = workspace.just("query", "select count(*) as n from raw.incidents")
    assert result.returncode == 0, result.stderr
    assert "(1 row," in result.stdout
    assert str(workspace.scalar("select count(*) from raw.incidents")) in result.stdout
