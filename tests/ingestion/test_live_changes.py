"""Against the demo API while it changes: paging stays complete, deletions are found.

Each test runs the pipeline's own steps (bind state, plan the deletion check, extract,
normalize, load into a real DuckDB file) against the demo API in a subprocess with a
fault flag on, then compares the warehouse with the API's ground truth.
"""

from __future__ import annotations

import duckdb
import pytest

from ingestion.api_endpoint import retry_policy
from ingestion.demo_api import run_demo_api
from ingestion.extraction import plan_deletion_check
from ingestion.http import ApiSession
from ingestion.load import load, make_pipeline
from ingestion.recovery import bind_state_to_warehouse
from ingestion.run_options import RunOptions
from ingestion.source import analytics_api_source
from ingestion.summary import StepTimer

SIZE = {"seed": 5, "incidents": 600, "dashboards": 10}


def run(settings, api, **options):
    """One run as `just elt` makes it, without dbt; returns (deletion check, session)."""
    pipeline = make_pipeline(settings)
    bind_state_to_warehouse(pipeline)
    check = plan_deletion_check(pipeline, settings, RunOptions(**options))
    session = ApiSession(api.base_url, retry_policy(settings))
    source = analytics_api_source(settings, api.base_url, api.token, session, deletion_check=check)
    load(pipeline, source, StepTimer(), full_refresh=False)
    return check, session


def loaded(settings) -> dict[str, str]:
    """id -> updated_at (UTC text) of raw.incidents."""
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        rows = con.execute(
            "select id, strftime(attributes__updated_at at time zone 'UTC',"
            " '%Y-%m-%dT%H:%M:%S.%gZ') from raw.incidents"
        ).fetchall()
    return dict(rows)


def deleted(settings) -> set[str]:
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        return {r[0] for r in con.execute("select id from raw.incident_deletions").fetchall()}


def truth(api) -> dict[str, str]:
    return {r["id"]: r["attributes"]["updated_at"] for r in api.ground_truth()["incidents"]}


@pytest.fixture
def settings(settings):
    return settings.with_overrides(page_size=20)


@pytest.mark.parametrize("cursor", [True, False], ids=["cursor_paging", "keyset_on_filter"])
@pytest.mark.parametrize("churn", [0.5, 2.0, 5.0])
def test_a_run_loads_every_incident_that_existed_while_incidents_change(
    settings, tmp_path, cursor, churn
):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        at_start = set(truth(api))
        api.set_faults(churn_per_page=churn, no_cursor_paging=not cursor)
        run(settings, api)
        assert at_start <= set(loaded(settings))
        assert api.health()["live_updates"] > 0
        api.set_faults()  # quiet again: the next run catches the updates made after a read
        run(settings, api)
        assert loaded(settings).items() >= truth(api).items()


def test_incidents_deleted_while_a_run_pages_are_not_taken_for_lost(settings, tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        at_start = set(truth(api))
        api.set_faults(churn_per_page=3.0, churn_delete_share=0.3)
        run(settings, api)
        gone = set(api.ground_truth()["deleted_incident_ids"])
        assert gone
        assert at_start - gone <= set(loaded(settings))


@pytest.mark.parametrize(
    "faults",
    [
        {"omit_meta": ["total_pages"]},
        {"omit_meta": ["total_pages", "total_count", "next_page"], "no_cursor_paging": True},
        {
            "omit_meta": ["total_pages", "total_count", "next_page", "current_page"],
            "omit_links": True,
            "no_cursor_paging": True,
        },
    ],
    ids=["no_total_pages", "links_next_only", "no_paging_information"],
)
def test_a_list_without_total_pages_loads_completely(settings, tmp_path, faults):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo"), faults=faults) as api:
        run(settings, api)
        assert loaded(settings) == truth(api)


def test_a_deletion_check_finds_the_incidents_deleted_upstream(settings, tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        run(settings, api)
        batch = api.apply_changes(2)["batches"]
        removed = {i for b in batch for i in b["deleted_incident_ids"]}
        check, _ = run(settings, api, check_deletions=True)
        assert deleted(settings) == removed & set(loaded(settings))
        assert check.newly_deleted == len(deleted(settings)) > 0
        assert set(loaded(settings)) - deleted(settings) == set(truth(api))


def test_the_first_run_of_a_warehouse_counts_as_a_deletion_check(settings, tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        check, session = run(settings, api)
        assert check is not None and check.ran
        assert check.listed == 0  # nothing loaded before: no listing was needed
        assert deleted(settings) == set()
        assert session.stats.requests["/v1/incidents"] == -(-SIZE["incidents"] // 20)


def test_no_deletion_check_runs_before_the_cadence_has_elapsed(settings, tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        run(settings, api)
        api.apply_changes()
        check, session = run(settings.with_overrides(deletion_check_hours=24.0), api)
        assert check is None
        assert session.stats.requests["/v1/incidents"] <= 2
        every_run = settings.with_overrides(deletion_check_hours=0.0)
        check, _ = run(every_run, api)
        assert check is not None and check.deleted > 0


def test_a_check_keeps_the_date_an_incident_was_first_found_deleted(settings, tmp_path):
    def found_dates() -> dict:
        with duckdb.connect(settings.duckdb_path, read_only=True) as con:
            rows = con.execute("select id, found_deleted_at from raw.incident_deletions")
            return dict(rows.fetchall())

    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        run(settings, api)
        api.apply_changes()
        run(settings, api, check_deletions=True)
        first = found_dates()
        api.apply_changes()
        check, _ = run(settings, api, check_deletions=True)
        second = found_dates()
        assert first.items() <= second.items()
        assert len(second) > len(first)
        assert check.newly_deleted == len(second) - len(first)


def test_incidents_updated_during_the_listing_are_not_taken_for_deleted(settings, tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        run(settings, api)
        removed = set(api.apply_changes()["batches"][0]["deleted_incident_ids"])
        api.set_faults(churn_per_page=5.0, no_cursor_paging=True)
        run(settings, api, check_deletions=True)
        assert deleted(settings) == removed


def test_keyset_paging_hands_dlt_each_record_once():
    """The keyset re-reads the records at its bound and drops them from the page list in
    place, relying on dlt's RESTClient yielding the very list `update_state` received."""
    from dlt.sources.helpers.rest_client import RESTClient
    from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

    from ingestion.paging import JsonApiPaginator

    with run_demo_api(**SIZE, faults={"no_cursor_paging": True}) as api:
        client = RESTClient(api.base_url, auth=BearerTokenAuth(api.token), data_selector="data")
        paginator = JsonApiPaginator(
            keyset_param="filter[updated_at][gte]", keyset_path="attributes.updated_at"
        )
        params = {"sort": "updated_at", "filter[updated_at][gte]": "2000-01-01T00:00:00Z"}
        pages = client.paginate(
            "incidents", params=params | {"page[size]": 20}, paginator=paginator
        )
        ids = [record["id"] for page in pages for record in page]
    assert len(ids) == len(set(ids)), "dlt no longer yields the list the paginator trimmed"
    assert len(ids) == SIZE["incidents"]
