"""Cursors belong to the warehouse they describe, not to the checkout that loaded it.

Each test loads real DuckDB files from the demo API through the pipeline's own steps
(bind the state, extract, normalize, load) and compares with the API's ground truth.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion.api_endpoint import retry_policy
from ingestion.cursors import incremental_cursors
from ingestion.demo_api import run_demo_api
from ingestion.http import ApiSession
from ingestion.load import load, make_pipeline
from ingestion.recovery import bind_state_to_warehouse
from ingestion.source import analytics_api_source
from ingestion.summary import StepTimer

SIZE = {"seed": 11, "incidents": 300, "dashboards": 12}


@pytest.fixture
def api(tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        yield api


def run(settings, api) -> int:
    """One pipeline run as `just elt` makes it (without dbt); returns incident requests."""
    pipeline = make_pipeline(settings)
    bind_state_to_warehouse(pipeline)
    session = ApiSession(api.base_url, retry_policy(settings))
    source = analytics_api_source(settings, api.base_url, api.token, session)
    load(pipeline, source, StepTimer(), full_refresh=False)
    return session.stats.requests["/v1/incidents"]


def incident_ids(settings) -> set[str]:
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        return {row[0] for row in con.execute("select id from raw.incidents").fetchall()}


def truth_ids(api) -> set[str]:
    return {r["id"] for r in api.ground_truth()["incidents"]}


def warehouse(settings, tmp_path: Path, name: str):
    return settings.with_overrides(duckdb_path=str(tmp_path / f"{name}.duckdb"))


def test_a_new_warehouse_gets_a_full_load_although_the_checkout_loaded_another(
    settings, api, tmp_path
):
    a, b = warehouse(settings, tmp_path, "a"), warehouse(settings, tmp_path, "b")
    run(a, api)
    api.apply_changes()
    run(b, api)
    assert incident_ids(b) == truth_ids(api)


def test_moving_back_to_a_warehouse_resumes_from_its_own_cursor(settings, api, tmp_path):
    a, b = warehouse(settings, tmp_path, "a"), warehouse(settings, tmp_path, "b")
    run(a, api)
    cursor_a = incremental_cursors(make_pipeline(a))["incidents"]
    run(b, api)
    api.apply_changes()
    requests = run(a, api)
    assert requests <= 3  # the change batch's few pages, not a full load
    assert incident_ids(a) >= truth_ids(api)
    assert incremental_cursors(make_pipeline(a))["incidents"] > cursor_a


def test_a_fresh_checkout_resumes_from_the_cursor_the_warehouse_holds(settings, api, tmp_path):
    run(settings, api)
    shutil.rmtree(settings.pipelines_dir)  # a new clone: no local dlt folder at all
    api.apply_changes()
    requests = run(settings, api)
    assert requests <= 3
    assert incident_ids(settings) >= truth_ids(api)


def test_a_deleted_warehouse_file_is_reloaded_in_full_not_resumed(settings, api, tmp_path):
    run(settings, api)
    Path(settings.duckdb_path).unlink()  # same path, new empty file; the local folder stays
    run(settings, api)
    assert incident_ids(settings) == truth_ids(api)


def test_each_warehouse_gets_its_own_working_folder(settings, tmp_path):
    a, b = warehouse(settings, tmp_path, "a"), warehouse(settings, tmp_path, "b")
    assert a.working_dir != b.working_dir
    assert Path(a.working_dir).parent == Path(settings.pipelines_dir)
