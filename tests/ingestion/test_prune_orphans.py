"""Pruning child rows of replaced records: every chain under a root this load wrote, no other."""

from __future__ import annotations

import pytest
from dlt.common.schema import Schema
from dlt.common.schema.utils import new_table

from ingestion.arrow_pages import NESTED_IN, prune_orphans, root_table
from tests.ingestion.duckdb_client import DuckDBClient

CHAINS = {  # child table -> the table it hangs off
    "incidents__services": "incidents",
    "incidents__services__owners": "incidents__services",
    "alerts__groups": "alerts",
}


def schema() -> Schema:
    schema = Schema("analytics_api")
    for root in ("incidents", "alerts"):
        schema.update_table(new_table(root, write_disposition="merge"))
    for child, parent in CHAINS.items():
        schema.update_table(new_table(child) | {NESTED_IN: parent})  # type: ignore[arg-type]
    return schema


@pytest.fixture
def client() -> DuckDBClient:
    """Each root holds one current row (`new`); every child table holds one row linked to
    the row above it and one orphan, left by a root row the merge replaced."""
    client = DuckDBClient()
    for root in ("incidents", "alerts"):
        client.execute_sql(f"create table {root} as select 'new' as _dlt_id")
    client.execute_sql(
        "create table incidents__services as"
        " select * from (values ('s-new', 'new'), ('s-old', 'old')) as t(_dlt_id, _dlt_parent_id)"
    )
    client.execute_sql(
        "create table incidents__services__owners as select * from"
        " (values ('o-new', 's-new'), ('o-old', 's-old')) as t(_dlt_id, _dlt_parent_id)"
    )
    client.execute_sql(
        "create table alerts__groups as"
        " select * from (values ('g-new', 'new'), ('g-old', 'old')) as t(_dlt_id, _dlt_parent_id)"
    )
    return client


def rows(client: DuckDBClient, table: str) -> list[str]:
    return [r[0] for r in client.execute_sql(f"select _dlt_id from {table} order by all")]


def test_a_grandchild_table_belongs_to_its_top_level_table():
    assert root_table("incidents__services__owners", CHAINS) == "incidents"
    assert root_table("incidents", CHAINS) == "incidents"


def test_orphans_under_a_loaded_root_are_deleted_grandchildren_included(client):
    prune_orphans(client, schema(), loaded={"incidents"})
    assert rows(client, "incidents__services") == ["s-new"]
    assert rows(client, "incidents__services__owners") == ["o-new"]


def test_chains_under_a_root_this_load_did_not_write_are_not_read(client):
    checked = prune_orphans(client, schema(), loaded={"incidents"})
    assert "alerts__groups" not in checked
    assert rows(client, "alerts__groups") == ["g-new", "g-old"]


def test_a_root_written_without_child_rows_still_has_its_chains_checked(client):
    # a record whose new version has an empty list: only its root table is in the load
    checked = prune_orphans(client, schema(), loaded={"alerts"})
    assert checked == ["alerts__groups"]
    assert rows(client, "alerts__groups") == ["g-new"]


def test_without_the_loaded_tables_every_chain_is_checked(client):
    prune_orphans(client, schema(), loaded=None)
    for table in CHAINS:
        assert len(rows(client, table)) == 1


class Recording(DuckDBClient):
    def __init__(self, client: DuckDBClient) -> None:
        super().__init__(client.con)
        self.statements: list[str] = []

    def execute_sql(self, sql: str, *args) -> list[tuple]:
        self.statements.append(sql)
        return super().execute_sql(sql, *args)


def test_on_duckdb_each_delete_that_removed_rows_is_checkpointed(client):
    # DuckDB holds a delete's changes in memory until a checkpoint (1M incidents ran out)
    recording = Recording(client)
    prune_orphans(recording, schema(), loaded={"incidents", "alerts"}, checkpoint=True)
    assert recording.statements.count("checkpoint") == len(CHAINS)
    recording.statements.clear()
    prune_orphans(recording, schema(), loaded={"incidents", "alerts"}, checkpoint=True)
    assert "checkpoint" not in recording.statements  # nothing left to delete
