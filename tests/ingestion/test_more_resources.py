"""Alerts, action items, retrospectives and the catalogs, against the demo API.

In-process like test_sync.py: the real dlt pipeline into a temporary DuckDB file, no dbt.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ingestion.demo_api import run_demo_api
from ingestion.errors import exception_chain, explain
from ingestion.records import RecordShapeError
from ingestion.source import FOLLOW_UPS
from tests.ingestion.test_sync import query, sync
from tests.workspace import SCD2_TABLES

SIZE = {"seed": 11, "incidents": 60, "dashboards": 10}


@pytest.fixture
def settings(settings):
    return settings.with_overrides(page_size=50)


@pytest.fixture
def api(tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        yield api


def current(settings, table: str, columns: str = "id") -> list[tuple]:
    return query(
        settings, f"select {columns} from raw.{table} where _dlt_valid_to is null order by all"
    )


def assert_new_tables_equal_ground_truth(settings, truth) -> None:
    for table in SCD2_TABLES:
        assert current(settings, table) == sorted((r["id"],) for r in truth[table]), table
    alerts = query(settings, "select id from raw.alerts order by id")
    assert alerts == sorted((r["id"],) for r in truth["alerts"])
    links = query(
        settings,
        "select a.id, c.id from raw.alerts__relationships__incidents__data as c"
        " join raw.alerts as a on c._dlt_parent_id = a._dlt_id order by all",
    )
    assert links == sorted(
        (r["id"], link["id"])
        for r in truth["alerts"]
        for link in (r.get("relationships", {}).get("incidents", {}).get("data") or [])
    )
    assert links  # about 15 % of alerts became incidents


def test_first_sync_loads_every_new_resource_as_the_api_serves_it(settings, api):
    result, session = sync(settings, api)
    assert_new_tables_equal_ground_truth(settings, api.ground_truth())
    served = api.stats()["pages_served"]["by_resource"]
    for resource in ("alerts", *SCD2_TABLES):
        assert result.rows[resource] > 0, resource
        assert session.stats.requests[f"/v1/{resource}"] == served[resource], resource


def test_every_action_item_and_retrospective_names_an_existing_incident(settings, api):
    sync(settings, api)
    incidents = {row[0] for row in query(settings, "select id from raw.incidents")}
    for table in FOLLOW_UPS:
        links = [row[0] for row in current(settings, table, "relationships__incident__data__id")]
        assert links, table
        assert set(links) <= incidents, table


def test_a_change_batch_reaches_every_new_resource(settings, api):
    sync(settings, api)
    changes = []
    while not any(c["catalogs"]["deleted"] for c in changes):  # a batch may delete none
        (batch,) = api.apply_changes()["other_batches"]
        changes.append(batch)
        assert len(changes) < 10
        _, session = sync(settings, api)
        truth = api.ground_truth()
        assert_new_tables_equal_ground_truth(settings, truth)
        # alerts: only the changed pages (the lag window plus what changed), no full scan
        alerts = batch["alerts"]
        changed = len(alerts["created"]) + len(alerts["updated"])
        assert session.stats.requests["/v1/alerts"] <= changed // 50 + 2
        assert session.stats.requests["/v1/alerts"] < len(truth["alerts"]) // 50

    # catalogs: a deleted entry is retired, a renamed one has a new current version
    for entry in (e for c in changes for e in c["catalogs"]["deleted"]):
        table, entry_id = entry.split(":", 1)
        rows = query(settings, f"select _dlt_valid_to from raw.{table} where id = '{entry_id}'")
        assert rows and all(valid_to is not None for (valid_to,) in rows), entry
    renamed = [e.split(":", 1) for c in changes for e in c["catalogs"]["renamed"]]
    assert renamed
    for table, entry_id in renamed:
        if entry_id not in {r["id"] for r in truth[table]}:
            continue  # deleted since
        versions = query(settings, f"select count(*) from raw.{table} where id = '{entry_id}'")
        assert versions[0][0] >= 2, (table, entry_id)
        name = "email" if table == "users" else "name"
        assert current(settings, table, f"id, attributes__{name}") == sorted(
            (r["id"], r["attributes"].get(name)) for r in truth[table]
        ), table

    # action items: a completed one shows its new status in its current row
    completed = [i for c in changes for i in c["action_items"]["completed"]]
    assert completed
    status = dict(current(settings, "action_items", "id, attributes__status"))
    served = {r["id"]: r["attributes"]["status"] for r in truth["action_items"]}
    for item in completed:
        if item in served:
            assert status[item] == served[item] == "done"


def test_a_renamed_core_field_of_alerts_fails_before_anything_is_loaded(settings):
    faults = {"rename_field": ["summary=title"], "fault_resource": "alerts"}
    with run_demo_api(**SIZE, faults=faults) as api, pytest.raises(Exception) as info:
        sync(settings, api)
    assert any(isinstance(e, RecordShapeError) for e in exception_chain(info.value))
    assert "alerts record" in explain(info.value)
    assert "attributes.summary" in explain(info.value)
    assert not Path(settings.duckdb_path).exists()
