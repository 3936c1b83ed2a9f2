"""A young account: no record has an item in any list, and every nullable nested object is
null (an alert with no urgency, an action item nobody owns or created). And a server that
does not link a top-level action item or retrospective to its incident (the spec does not
say how it does): the items load without an incident, and the build warns instead of failing.

dlt creates a child table only once some record has an item in that list, and a column of a
nested object only once some record has the object. The columns the dbt models read are
hinted (`ingestion.source.NESTED_COLUMNS`), and staging reads a missing child table as empty
(the `source_or_empty` macro), so the first load and the first build still succeed.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from ingestion.contract import ATTRIBUTES_SCHEMA, CONTRACT
from ingestion.deletions import DeletionCheck
from ingestion.demo_api import ground_truth
from ingestion.source import deletion_listing_params
from tests.ingestion.jsonapi_server import jsonapi_server
from tests.ingestion.test_sync import sync
from tests.transform.conftest import run_dbt

# The lists dlt would unnest into the child tables the staging models read.
CHILD_TABLES = (
    "incidents__attributes__services",
    "incidents__attributes__environments",
    "incidents__attributes__groups",
    "alerts__attributes__services",
    "alerts__relationships__incidents__data",
    "teams__attributes__user_ids",
    "services__attributes__owner_group_ids",
)
EMPTY_STAGING = (
    "stg_analytics_api__incident_services",
    "stg_analytics_api__incident_environments",
    "stg_analytics_api__incident_teams",
    "stg_analytics_api__alert_services",
    "stg_analytics_api__alert_incidents",
    "stg_analytics_api__team_members",
    "stg_analytics_api__service_owner_teams",
)


def nullable(resource: str, attribute: str) -> bool:
    spec = CONTRACT["$defs"][ATTRIBUTES_SCHEMA[resource]]["properties"].get(attribute, {})
    kinds = spec.get("type", [])
    return "null" in ([kinds] if isinstance(kinds, str) else kinds) or any(
        option.get("type") == "null" for option in spec.get("anyOf", [])
    )


def sparse(resource: str, record: dict[str, Any]) -> dict[str, Any]:
    """The record with every list emptied and every nullable nested object nulled."""
    attributes = {}
    for name, value in record["attributes"].items():
        if isinstance(value, list):
            value = []
        elif isinstance(value, dict) and nullable(resource, name):
            value = None
        attributes[name] = value
    if resource in ("action_items", "post_mortems"):
        return {key: value for key, value in record.items() if key != "relationships"} | {
            "attributes": attributes
        }
    relationships = {
        name: {"data": [] if isinstance(link.get("data"), list) else link.get("data")}
        for name, link in record.get("relationships", {}).items()
    }
    return {**record, "attributes": attributes, "relationships": relationships}


@pytest.fixture
def sparse_warehouse(settings, tmp_path):
    # one page per list: the fixture server does not filter, and the keyset walk would
    # (rightly) stop at a second page that ignored its filter
    settings = settings.with_overrides(page_size=500)
    truth = ground_truth(seed=5, incidents=30, dashboards=4)
    collections = {
        resource: [sparse(resource, record) for record in truth[resource]]
        for resource in ATTRIBUTES_SCHEMA
    }
    # as a first `just elt` does, with the deletion check (it writes raw.incident_deletions)
    check = DeletionCheck(deletion_listing_params(settings), known=set(), previously={})
    with jsonapi_server(collections) as server:
        sync(settings, server, token="fixture-token", deletion_check=check)
    return settings.duckdb_path


def test_no_child_table_exists_when_no_record_has_a_list_item(sparse_warehouse):
    with duckdb.connect(sparse_warehouse, read_only=True) as con:
        tables = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'raw'"
            ).fetchall()
        }
    assert tables.isdisjoint(CHILD_TABLES)
    assert {"alerts", "action_items", "teams", "services"} <= tables


def test_the_nested_columns_the_models_read_exist_though_every_record_leaves_them_null(
    sparse_warehouse,
):
    with duckdb.connect(sparse_warehouse, read_only=True) as con:
        for table, column in [
            ("alerts", "attributes__alert_urgency__id"),
            ("action_items", "attributes__assigned_to__id"),
            ("action_items", "attributes__created_by__id"),
        ]:
            (count,) = con.execute(f"select count({column}) from raw.{table}").fetchone()
            assert count == 0, (table, column)


def test_the_first_build_succeeds_with_empty_child_models(sparse_warehouse, tmp_path):
    run = run_dbt(["build", "--exclude-resource-type", "unit_test"], sparse_warehouse, tmp_path)
    assert run.returncode == 0, run.output[-4000:]
    with duckdb.connect(sparse_warehouse, read_only=True) as con:
        for model in EMPTY_STAGING:
            (rows,) = con.execute(f"select count(*) from staging.{model}").fetchone()
            assert rows == 0, model
        assert con.execute("select count(*) from marts.fct_alerts").fetchone()[0] > 0
        follow_ups = con.execute(
            "select count(*), count(incident_id), count(*) filter (where is_countable)"
            " from marts.fct_follow_ups"
        ).fetchone()
        assert follow_ups[0] > 0 and follow_ups[1] == 0 and follow_ups[2] == follow_ups[0]
