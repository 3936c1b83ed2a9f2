"""Incremental sync, change batches, backfill, retries and schema, against the demo API.

These drive the real dlt pipeline (extract, normalize, load into a temporary DuckDB file)
against the demo API in a subprocess; dbt is left to the end-to-end tests.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from ingestion.api_endpoint import retry_policy as policy_for
from ingestion.cursors import incremental_cursors
from ingestion.demo_api import run_demo_api
from ingestion.http import ApiAuthError, ApiSession
from ingestion.load import LoadResult, load, make_pipeline
from ingestion.records import RecordShapeError
from ingestion.source import FULL_SCAN_COLUMNS, Backfill, analytics_api_source
from ingestion.summary import StepTimer
from tests.ingestion.jsonapi_server import jsonapi_server
from tests.ingestion.records_factory import dashboard, incident

SIZE = {"seed": 7, "incidents": 240, "dashboards": 30}


def sync(settings, api, token=None, **source_options) -> tuple[LoadResult, ApiSession]:
    session = ApiSession(api.base_url, policy_for(settings))
    source = analytics_api_source(
        settings, api.base_url, token or api.token, session, **source_options
    )
    result = load(make_pipeline(settings), source, StepTimer(), full_refresh=False)
    return result, session


def query(settings, sql: str) -> list[tuple]:
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        return con.execute(sql).fetchall()


def assert_raw_equals_ground_truth(settings, api) -> None:
    truth = api.ground_truth()
    expected = sorted((r["id"], r["attributes"]["updated_at"]) for r in truth["incidents"])
    # an updated_at sync never sees a deletion (test_live_changes.py covers the check)
    deleted = set(truth["deleted_incident_ids"])
    loaded = query(
        settings,
        "select id, strftime(attributes__updated_at at time zone 'UTC',"
        " '%Y-%m-%dT%H:%M:%S.%gZ') from raw.incidents order by all",
    )
    assert [row for row in loaded if row[0] not in deleted] == expected
    current = query(
        settings, "select id from raw.dashboards where _dlt_valid_to is null order by id"
    )
    assert current == sorted((d["id"],) for d in truth["dashboards"])


@pytest.fixture
def settings(settings):
    return settings.with_overrides(page_size=20)


@pytest.fixture
def api(tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        yield api


def test_first_sync_loads_exactly_the_apis_records(settings, api):
    sync(settings, api)
    assert_raw_equals_ground_truth(settings, api)


def test_a_second_sync_right_after_reads_only_the_changed_pages(settings, api):
    sync(settings, api)
    api.reset_stats()
    _, session = sync(settings, api)
    assert session.stats.requests["/v1/incidents"] == 1  # only the lag window's page
    assert session.stats.requests["/v1/dashboards"] == 2  # full scan: 30 at 20 a page


def test_the_second_sync_filters_on_the_cursor_minus_the_lag(settings, api):
    sync(settings, api)
    cursor = incremental_cursors(make_pipeline(settings))["incidents"]
    api.reset_stats()
    sync(settings, api)
    (sent,) = api.stats()["incident_queries"]
    assert "sort=updated_at" in sent
    assert "filter[updated_at][gte]=" in sent
    start = datetime.fromisoformat(cursor) - timedelta(seconds=settings.lag_seconds)
    assert f"filter[updated_at][gte]={start:%Y-%m-%dT%H:%M:%S}" in sent


def test_after_change_batches_raw_equals_ground_truth(settings, api):
    sync(settings, api)
    for _ in range(2):
        api.apply_changes()
        sync(settings, api)
        assert_raw_equals_ground_truth(settings, api)


CHILD_LISTS = ("services", "environments", "groups")


def child_rows(settings, key: str) -> list[tuple]:
    """(incident id, position, child id) of a child table, joined to its current root row."""
    return query(
        settings,
        f"select r.id, c._dlt_list_idx, c.data__id from raw.incidents__attributes__{key} as c"
        " join raw.incidents as r on c._dlt_root_id = r._dlt_id order by all",
    )


def test_after_change_batches_child_tables_equal_ground_truth(settings, api):
    sync(settings, api)
    for _ in range(2):
        api.apply_changes()
        sync(settings, api)
    truth = api.ground_truth()["incidents"]
    for key in CHILD_LISTS:
        expected = sorted(
            (r["id"], i, item["data"]["id"])
            for r in truth
            for i, item in enumerate(r["attributes"][key])
        )
        deleted = set(api.ground_truth()["deleted_incident_ids"])
        assert [row for row in child_rows(settings, key) if row[0] not in deleted] == expected


def test_child_rows_of_replaced_incidents_are_deleted(settings, api):
    sync(settings, api)
    (batch,) = api.apply_changes()["batches"]
    sync(settings, api)
    assert batch["updated_incidents"] > 0
    for key in CHILD_LISTS:
        orphans = query(
            settings,
            f"select count(*) from raw.incidents__attributes__{key}"
            " where _dlt_root_id not in (select _dlt_id from raw.incidents)",
        )
        assert orphans == [(0,)]


def test_a_change_batch_costs_few_requests(settings, api):
    sync(settings, api)
    (batch,) = api.apply_changes()["batches"]
    _, session = sync(settings, api)
    changed = batch["updated_incidents"] + batch["new_incidents"]
    assert changed > 0
    assert session.stats.requests["/v1/incidents"] <= changed // 20 + 3


def test_deleted_dashboards_are_retired_not_kept_live(settings, api):
    sync(settings, api)
    api.apply_changes()
    sync(settings, api)
    deleted = api.ground_truth()["deleted_dashboard_ids"]
    assert deleted
    rows = query(
        settings,
        "select id, bool_or(_dlt_valid_to is null) from raw.dashboards group by id",
    )
    live = {dashboard_id: is_live for dashboard_id, is_live in rows}
    assert all(live[d] is False for d in deleted)


def test_a_backfill_reloads_a_range_without_moving_the_cursor(settings, api):
    sync(settings, api)
    pipeline = make_pipeline(settings)
    cursor = incremental_cursors(pipeline)
    result, _ = sync(
        settings, api, backfill=Backfill("2026-02-01T00:00:00Z", "2026-02-08T00:00:00Z")
    )
    truth = api.ground_truth()["incidents"]
    in_range = [
        r
        for r in truth
        if "2026-02-01T00:00:00" <= r["attributes"]["updated_at"] <= "2026-02-08T00:00:00"
    ]
    assert result.rows["incidents"] == len(in_range) > 0
    assert "dashboards" not in result.rows
    assert incremental_cursors(make_pipeline(settings)) == cursor


@pytest.mark.parametrize(
    ("headers", "body"),
    [("ietf", "jsonapi"), ("ietf-delta", "empty"), ("x", "plain")],
    ids=["RateLimit-epoch", "RateLimit-delta", "X-RateLimit-plain-429-body"],
)
def test_a_rate_limited_sync_paces_itself_from_any_header_dialect(settings, headers, body):
    settings = settings.with_overrides(request_max_retry_delay=5.0)  # waits may span a window
    faults = {"rate_limit_headers": headers, "rate_limit_body": body}
    # 15 a second: well under what the sync sends unpaced, so every window is paced
    with run_demo_api(**SIZE, rate_limit=15, rate_window=1.0, faults=faults) as api:
        result, _ = sync(settings, api)
        # counted by the server, not the client. At most one: latency jitter on a busy
        # machine may beat the pacing margin once, which then widens (`WindowMirror`)
        assert api.stats()["rate_limited"] <= 1
        assert result.rows["incidents"] == SIZE["incidents"]
        assert_raw_equals_ground_truth(settings, api)


def test_a_rate_limited_sync_without_rate_limit_headers_completes_on_backoff(settings):
    # no headers, an empty 429 body: only the configured backoff is left (1 s, 2 s, 4 s)
    settings = settings.with_overrides(
        request_backoff_factor=1.0, request_max_retry_delay=4.0, request_max_attempts=4
    )
    faults = {"rate_limit_headers": "none", "rate_limit_body": "empty"}
    with run_demo_api(**SIZE, rate_limit=6, rate_window=1.0, faults=faults) as api:
        _, session = sync(settings, api)
        assert api.stats()["rate_limited"] == session.stats.rate_limited > 0
        assert_raw_equals_ground_truth(settings, api)


def test_server_errors_are_retried_until_the_sync_completes(settings):
    settings = settings.with_overrides(request_max_attempts=8)
    with run_demo_api(**SIZE, faults={"error_rate": 0.3}) as api:
        _, session = sync(settings, api)
        assert session.stats.retries > 0
        assert_raw_equals_ground_truth(settings, api)


def test_a_wrong_token_stops_the_sync_at_the_first_request(settings, api):
    with pytest.raises(Exception) as info:
        sync(settings, api, token="not-the-token")
    from ingestion.errors import exception_chain

    assert any(isinstance(e, ApiAuthError) for e in exception_chain(info.value))
    assert api.stats()["requests_total"] == 1


def test_a_renamed_core_field_fails_before_anything_is_loaded(settings, tmp_path):
    with (
        run_demo_api(**SIZE, faults={"rename_field": ["title=headline"]}) as api,
        pytest.raises(Exception) as info,
    ):
        sync(settings, api)
    from ingestion.errors import exception_chain, explain

    assert any(isinstance(e, RecordShapeError) for e in exception_chain(info.value))
    assert "attributes.title" in explain(info.value)
    assert not Path(settings.duckdb_path).exists()  # nothing was loaded, not even a table


def test_a_new_field_with_mixed_types_fails_naming_the_fix(settings):
    records = [incident(n) for n in range(2)]
    records[0]["attributes"]["impact"] = 3
    records[1]["attributes"]["impact"] = "minor"
    with (
        jsonapi_server({"incidents": records, "dashboards": [dashboard(1)]}) as server,
        pytest.raises(Exception) as info,
    ):
        server.token = "fixture-token"
        sync(settings, server, token="fixture-token")
    from ingestion.errors import explain

    message = explain(info.value)
    assert message.startswith("incidents: a field holds values of different types")
    assert "nothing was loaded" in message
    assert len(message.splitlines()) == 1


def test_new_fields_are_added_as_columns_and_reported(settings):
    records = [incident(n) for n in range(3)]
    others = {name: [] for name in ("alerts", *FULL_SCAN_COLUMNS)}  # empty lists
    collections = {"incidents": records, "dashboards": [dashboard(1)], **others}
    with jsonapi_server(collections) as server:
        server.token = "fixture-token"
        sync(settings, server, token="fixture-token")
        for record in records:
            record["attributes"]["customer_impact"] = "minor"
            record["attributes"]["updated_at"] = "2026-02-01T00:00:00.000Z"
        result, _ = sync(settings, server, token="fixture-token")
    assert result.new_columns == {"incidents": ["attributes__customer_impact"]}
    assert query(settings, "select distinct attributes__customer_impact from raw.incidents") == [
        ("minor",)
    ]


def test_a_third_resource_is_one_more_config_entry(settings, api):
    # every list the demo serves is built in now: the same list again, under another name
    severities = {
        "name": "severity_levels",
        "endpoint": {"path": "severities"},
        "write_disposition": "replace",
    }
    result, _ = sync(settings, api, extra_resources=[severities])
    assert result.rows["severity_levels"] == 4
    names = query(settings, "select attributes__name from raw.severity_levels order by 1")
    assert names == [("SEV0",), ("SEV1",), ("SEV2",), ("SEV3",)]


def test_columns_land_with_warehouse_types(settings, api):
    sync(settings, api)
    types = dict(
        query(
            settings,
            "select column_name, data_type from information_schema.columns"
            " where table_schema = 'raw' and table_name = 'incidents'",
        )
    )
    assert types["id"] == "VARCHAR"
    assert types["attributes__started_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["attributes__detected_at"] == "TIMESTAMP WITH TIME ZONE"
    assert types["attributes__private"] == "BOOLEAN"
    assert types["attributes__labels"] == "JSON"
    assert types["attributes__severity__data__attributes__severity"] == "VARCHAR"
    assert not any(name.startswith("attributes__labels__") for name in types)


def test_loaded_packages_keep_no_data_files(settings, api):
    # an hourly run must not fill the disk: dlt's load.delete_completed_jobs (.dlt/config.toml)
    sync(settings, api)
    loaded = Path(make_pipeline(settings).working_dir) / "load" / "loaded"
    packages = list(loaded.iterdir())
    assert packages
    assert not [p for p in loaded.rglob("completed_jobs/*") if p.is_file()]
