"""What a run rebuilds (`ingestion.selection`) and what a partial publish moves (`publish`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingestion.changes import Fingerprints
from ingestion.publish import publish, publish_statements
from ingestion.runs import build_schemas_as_published, ensure_ledger, record_run
from ingestion.selection import (
    BuildPlan,
    incremental_keys,
    plan_build,
    published_manifest,
    rebuilt_relations,
    save_published_manifest,
)
from tests.ingestion.duckdb_client import DuckDBClient

DBT_VERSION = "1.10.0"
MANIFEST = {
    "metadata": {"dbt_version": DBT_VERSION},
    "sources": {
        f"source.analytics.analytics_api.{name}": {
            "source_name": "analytics_api",
            "name": name,
            "identifier": name,
            "schema": "raw",
        }
        for name in ("incidents", "incidents__attributes__services", "dashboards", "_dlt_loads")
    },
}
PUBLISHED = Fingerprints(
    {"incidents": "2:1", "incidents__attributes__services": "3:1", "dashboards": "1:1"}, "dbt-1"
)


def plan(current: Fingerprints, **overrides) -> BuildPlan:
    args = {
        "current": current,
        "published": PUBLISHED,
        "manifest": MANIFEST,
        "state_dir": "/state",
        "build_schemas_as_published": True,
        "dbt_version": DBT_VERSION,
    } | overrides
    return plan_build(**args)


def changed(tables: dict[str, str] | None = None, dbt: str = "dbt-1") -> Fingerprints:
    return Fingerprints(PUBLISHED.raw_tables | (tables or {}), dbt)


def test_new_rows_in_one_table_select_what_reads_it_and_dlts_loads():
    built = plan(changed({"dashboards": "2:7"}))
    assert built.select == (
        "source:analytics_api.dashboards+",
        "source:analytics_api._dlt_loads+",
    )
    assert not built.recompute


def test_a_changed_child_table_selects_what_reads_the_child_table():
    built = plan(changed({"incidents__attributes__services": "4:2"}))
    assert "source:analytics_api.incidents__attributes__services+" in built.select
    assert "source:analytics_api.incidents+" not in built.select


def test_a_raw_table_no_model_reads_selects_nothing_for_it():
    built = plan(changed({"not_a_source": "1:1"}))
    assert built.select == ("source:analytics_api._dlt_loads+",)


def test_a_new_raw_table_counts_as_changed():
    current = Fingerprints({**PUBLISHED.raw_tables, "not_yet_published": "1:1"}, "dbt-1")
    assert current.changed_tables(PUBLISHED) == ["not_yet_published"]


def test_a_project_edit_selects_the_modified_nodes_against_the_published_manifest():
    built = plan(changed(dbt="dbt-2"))
    assert built.select[-1] == "state:modified+"
    assert built.dbt_args()[-2:] == ["--state", "/state"]


def test_a_project_edit_recomputes_the_incremental_models_it_reaches():
    built = plan(changed(dbt="dbt-2"))
    assert built.recompute
    assert built.dbt_args()[0] == "--full-refresh"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"full_refresh": True}, "full refresh"),
        ({"published": None}, "no published build to compare with"),
        ({"build_schemas_as_published": False}, "a run since the last build failed or was killed"),
        ({"manifest": None}, "no manifest saved with the published build"),
        ({"dbt_version": "1.11.0"}, "the published build was made by another dbt version"),
    ],
)
def test_everything_is_rebuilt_when_the_build_schemas_may_not_be_the_published_build(
    overrides, reason
):
    built = plan(changed({"dashboards": "2:7"}), **overrides)
    assert not built.partial
    assert built.reason == reason
    assert "--select" not in built.dbt_args()


def test_a_full_rebuild_after_a_failed_run_still_recomputes_a_project_edit():
    built = plan(changed(dbt="dbt-2"), build_schemas_as_published=False)
    assert not built.partial and built.recompute


def test_without_raw_digests_as_on_postgresql_everything_is_built():
    postgres = Fingerprints(None, "dbt-1")
    built = plan(postgres, published=Fingerprints(None, "dbt-1"))
    assert not built.partial and not built.recompute
    assert built.reason == "raw is not digested on this warehouse"


def test_without_raw_digests_a_project_edit_still_recomputes_what_it_reaches():
    built = plan(Fingerprints(None, "dbt-2"), published=Fingerprints(None, "dbt-1"))
    assert not built.partial and built.recompute


def test_without_raw_digests_a_run_never_counts_as_no_changes():
    assert not Fingerprints(None, "dbt-1").same_as(Fingerprints(None, "dbt-1"))


def test_the_summary_names_the_resources_a_partial_build_followed():
    built = plan(changed({"incidents__attributes__services": "4:2", "dashboards": "9:9"}))
    assert built.reason == "downstream of new data in dashboards, incidents"


def test_the_rebuilt_relations_are_the_models_and_seeds_that_succeeded():
    results = [
        {"name": "fct_incidents", "kind": "model", "status": "success"},
        {"name": "sla_targets", "kind": "model", "status": "success"},
        {"name": "unique_fct_incidents_incident_id", "kind": "test", "status": "pass"},
        {"name": "dim_teams", "kind": "model", "status": "skipped"},
    ]
    assert rebuilt_relations(results) == {"fct_incidents", "sla_targets"}


# ------------------------------------------------------------------------ partial publish
@pytest.fixture
def warehouse() -> DuckDBClient:
    """A published build, then a new build that changed both of its marts."""
    con = duckdb.connect()
    con.execute("create schema marts__build")
    con.execute("create table marts__build.fct_incidents as select 1 as n")
    con.execute("create table marts__build.dim_teams as select 1 as n")
    client = DuckDBClient(con)
    publish(client)
    con.execute("create or replace table marts__build.fct_incidents as select 2 as n")
    con.execute("create or replace table marts__build.dim_teams as select 2 as n")
    return client


def published(client: DuckDBClient) -> dict[str, int]:
    return {
        name: client.execute_sql(f"select n from marts.{name}")[0][0]
        for name in ("fct_incidents", "dim_teams")
    }


def test_a_partial_publish_moves_only_what_was_rebuilt(warehouse):
    assert publish(warehouse, rebuilt={"fct_incidents"}) == 1
    assert published(warehouse) == {"fct_incidents": 2, "dim_teams": 1}


def test_a_full_publish_moves_everything(warehouse):
    publish(warehouse)
    assert published(warehouse) == {"fct_incidents": 2, "dim_teams": 2}


def test_a_partial_publish_drops_what_the_build_no_longer_has(warehouse):
    warehouse.execute_sql("drop table marts__build.dim_teams")
    publish(warehouse, rebuilt={"fct_incidents"})
    tables = warehouse.execute_sql(
        "select table_name from information_schema.tables where table_schema = 'marts'"
    )
    assert tables == [("fct_incidents",)]


# ------------------------------------------------------- incremental tables, row by row
ALERTS = {"fct_alerts": "alert_id"}


@pytest.fixture
def alerts_warehouse() -> DuckDBClient:
    """A published incremental table, then a build that changed, added and removed rows."""
    con = duckdb.connect()
    con.execute("create schema marts__build")
    con.execute(
        "create table marts__build.fct_alerts as"
        " select * from (values ('a', 1), ('b', 2), ('c', 3)) as t(alert_id, n)"
    )
    client = DuckDBClient(con)
    publish(client)
    con.execute("update marts__build.fct_alerts set n = 20 where alert_id = 'b'")
    con.execute("delete from marts__build.fct_alerts where alert_id = 'c'")
    con.execute("insert into marts__build.fct_alerts values ('d', 4)")
    return client


def rows(client: DuckDBClient, relation: str) -> list[tuple]:
    return client.execute_sql(f"select * from {relation} order by all")


def test_a_partial_publish_brings_an_incremental_table_up_to_date_row_by_row(alerts_warehouse):
    publish(alerts_warehouse, rebuilt={"fct_alerts"}, incremental=ALERTS)
    assert rows(alerts_warehouse, "marts.fct_alerts") == [("a", 1), ("b", 20), ("d", 4)]


def test_an_incremental_table_is_published_without_dropping_it():
    relations = [("marts__build", "fct_alerts", "table")]
    statements = publish_statements(
        relations, [("marts", "fct_alerts", "table")], {"fct_alerts"}, ALERTS
    )
    assert not [s for s in statements if s.startswith(("drop", "create table"))]
    assert [s.split(" where")[0] for s in statements if "fct_alerts" in s] == [
        "delete from marts.fct_alerts",
        "insert into marts.fct_alerts select built_row.* from marts__build.fct_alerts as built_row",
    ]


def test_an_incremental_table_whose_columns_changed_is_published_as_a_copy(alerts_warehouse):
    alerts_warehouse.execute_sql("alter table marts__build.fct_alerts add column label varchar")
    publish(alerts_warehouse, rebuilt={"fct_alerts"}, incremental=ALERTS)
    assert rows(alerts_warehouse, "marts.fct_alerts") == [
        ("a", 1, None),
        ("b", 20, None),
        ("d", 4, None),
    ]


def test_a_full_publish_copies_an_incremental_table_whole(alerts_warehouse):
    alerts_warehouse.execute_sql("insert into marts.fct_alerts values ('stray', 9)")
    publish(alerts_warehouse, incremental=ALERTS)
    assert rows(alerts_warehouse, "marts.fct_alerts") == [("a", 1), ("b", 20), ("d", 4)]


def test_incremental_keys_are_the_single_column_keys_of_incremental_models():
    def node(name, materialized, key=None):
        return {
            "name": name,
            "resource_type": "model",
            "config": {"materialized": materialized, "unique_key": key},
        }

    manifest = {
        "nodes": {
            "model.p.fct_alerts": node("fct_alerts", "incremental", "alert_id"),
            "model.p.fct_pairs": node("fct_pairs", "incremental", ["a", "b"]),
            "model.p.dim_teams": node("dim_teams", "table"),
        }
    }
    assert incremental_keys(manifest) == {"fct_alerts": "alert_id"}


# ------------------------------------------------------- the build schemas as published
def ledger_of(*runs: tuple[str, str | None]) -> DuckDBClient:
    """A ledger with one row per (status, build), an hour apart, oldest first."""
    client = DuckDBClient()
    ensure_ledger(client)
    start = datetime(2026, 12, 1, tzinfo=UTC)
    for n, (status, build) in enumerate(runs):
        record_run(
            client,
            {
                "run_id": f"run-{n}",
                "started_at": start + timedelta(hours=n),
                "finished_at": start + timedelta(hours=n, minutes=5),
                "status": status,
                "source": "demo API",
                "full_refresh": False,
                "build": build,
            },
        )
    return client


@pytest.mark.parametrize(
    ("runs", "as_published"),
    [
        ([("success", "built")], True),
        ([("success", "built"), ("success", "partial"), ("refused", None)], True),
        ([("success", "built"), ("failed", None)], False),
        ([("success", "built"), ("interrupted", None)], False),
        # a "no changes" run builds nothing: what the failed run left in __build stays
        ([("success", "built"), ("failed", None), ("success", "no changes")], False),
        ([("success", "built"), ("failed", None), ("success", "partial")], True),
        ([("failed", None)], False),
    ],
)
def test_the_build_schemas_are_as_published_only_if_no_run_failed_since_the_last_build(
    runs, as_published
):
    client = ledger_of(*runs)
    assert build_schemas_as_published(client, "this-run") is as_published


def test_the_published_manifest_is_saved_for_the_next_comparison(tmp_path):
    target = tmp_path / "target"
    target.mkdir()
    (target / "manifest.json").write_text(json.dumps(MANIFEST))
    assert save_published_manifest(tmp_path / "state", target)
    assert published_manifest(tmp_path / "state") == MANIFEST


def test_a_manifest_that_cannot_be_saved_removes_the_old_one(tmp_path):
    state = tmp_path / "state"
    state.mkdir()
    (state / "manifest.json").write_text(json.dumps(MANIFEST))
    assert not save_published_manifest(state, tmp_path / "no-target")
    assert published_manifest(state) is None  # so the next run rebuilds everything
