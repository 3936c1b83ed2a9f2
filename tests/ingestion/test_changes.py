"""Fingerprints that decide whether a run has anything new to build (`ingestion.changes`)."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from dlt.common.schema import Schema
from dlt.common.schema.utils import new_table

from ingestion.arrow_pages import NESTED_IN
from ingestion.changes import (
    DBT_INPUTS,
    dbt_fingerprint,
    raw_digest,
    raw_table_digests,
    tables_touched,
)
from ingestion.runs import LEDGER_TABLE, ensure_ledger, previous_run_digests
from tests.ingestion.duckdb_client import DuckDBClient
from tests.workspace import REPO_ROOT


@pytest.fixture
def raw() -> DuckDBClient:
    """A raw dataset as dlt leaves it: a root table, a child table, an scd2 table, dlt's own."""
    con = duckdb.connect()
    con.execute("create schema raw")
    con.execute(
        "create table raw.incidents as select * from (values"
        " ('a', 'open', 'load1', 'row-a'), ('b', 'closed', 'load1', 'row-b'))"
        " as t(id, status, _dlt_load_id, _dlt_id)"
    )
    con.execute(
        "create table raw.incidents__teams as select * from (values"
        " ('team-1', 0, 'row-a', 'child-1'), ('team-2', 0, 'row-b', 'child-2'))"
        " as t(value, _dlt_list_idx, _dlt_parent_id, _dlt_id)"
    )
    con.execute(
        "create table raw.teams as select * from (values"
        " ('t1', 'Core', timestamp '2026-01-01', null::timestamp, 'load1', 'h1'))"
        " as t(id, name, _dlt_valid_from, _dlt_valid_to, _dlt_load_id, _dlt_id)"
    )
    con.execute("create table raw._dlt_loads as select 'load1' as load_id, 0 as status")
    return DuckDBClient(con)


def test_the_same_records_loaded_again_digest_the_same(raw):
    before = raw_digest(raw)
    # a re-read: same content under a new load id and new random row keys
    raw.con.execute("update raw.incidents set _dlt_load_id = 'load2', _dlt_id = _dlt_id || '-2'")
    raw.con.execute("update raw.incidents__teams set _dlt_parent_id = _dlt_parent_id || '-2'")
    raw.con.execute("insert into raw._dlt_loads values ('load2', 0)")
    assert raw_digest(raw) == before


# Each edit upstream data can make to raw, by name: each must change the digest.
CHANGES = {
    "a_changed_value": "update raw.incidents set status = 'closed' where id = 'a'",
    "a_changed_list_item": (
        "update raw.incidents__teams set value = 'team-3' where value = 'team-2'"
    ),
    "a_new_row": "insert into raw.incidents values ('c', 'open', 'load2', 'row-c')",
    "a_duplicated_row": "insert into raw.incidents select * from raw.incidents where id = 'a'",
    "a_removed_row": "delete from raw.incidents__teams where value = 'team-1'",
    "an_scd2_retirement": "update raw.teams set _dlt_valid_to = timestamp '2026-02-01'",
    "a_new_raw_table": "create table raw.alerts as select 'x' as id",
}


@pytest.mark.parametrize("change", CHANGES.values(), ids=CHANGES.keys())
def test_any_change_to_raw_changes_the_digest(raw, change):
    before = raw_digest(raw)
    raw.con.execute(change)
    assert raw_digest(raw) != before


@pytest.fixture
def dbt_project(tmp_path) -> Path:
    """A copy of every file dbt reads, to edit without touching the repository."""
    for name in DBT_INPUTS:
        source = REPO_ROOT / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name)
        else:
            shutil.copy(source, tmp_path / name)
    return tmp_path


def test_the_dbt_fingerprint_is_the_same_for_the_same_files(dbt_project):
    assert dbt_fingerprint("duckdb", dbt_project) == dbt_fingerprint("duckdb", REPO_ROOT)


def test_a_model_edit_changes_the_dbt_fingerprint(dbt_project):
    before = dbt_fingerprint("duckdb", dbt_project)
    model = dbt_project / "transform/models/marts/fct_incidents.sql"
    model.write_text(model.read_text() + "\n-- edited\n")
    assert dbt_fingerprint("duckdb", dbt_project) != before


def test_a_seed_edit_changes_the_dbt_fingerprint(dbt_project):
    before = dbt_fingerprint("duckdb", dbt_project)
    seed = next((dbt_project / "transform/seeds").glob("*.csv"))
    seed.write_text(seed.read_text().replace("1", "2", 1))
    assert dbt_fingerprint("duckdb", dbt_project) != before


def test_a_new_data_test_changes_the_dbt_fingerprint(dbt_project):
    before = dbt_fingerprint("duckdb", dbt_project)
    (dbt_project / "tests/dbt/singular/assert_nothing.sql").write_text("select 1 where false\n")
    assert dbt_fingerprint("duckdb", dbt_project) != before


def test_another_target_changes_the_dbt_fingerprint(dbt_project):
    assert dbt_fingerprint("postgres", dbt_project) != dbt_fingerprint("duckdb", dbt_project)


# -- digests reused from the previous run -----------------------------------------------


def test_an_untouched_table_keeps_the_digest_the_previous_run_recorded(raw):
    previous = {"incidents": "stale", "incidents__teams": "stale", "teams": "stale"}
    digests = raw_table_digests(raw, reuse=previous, touched={"incidents", "incidents__teams"})
    assert digests["teams"] == "stale"
    assert digests["incidents"] == raw_table_digests(raw)["incidents"]
    assert digests["incidents__teams"] == raw_table_digests(raw)["incidents__teams"]


def test_a_table_the_previous_run_did_not_digest_is_read(raw):
    digests = raw_table_digests(raw, reuse={"incidents": "stale"}, touched=())
    assert digests["teams"] == raw_table_digests(raw)["teams"]


def nested_schema() -> Schema:
    """incidents with a child and a grandchild (ours and dlt's nesting), and alerts."""
    schema = Schema("analytics_api")
    for root in ("incidents", "alerts"):
        schema.update_table(new_table(root, write_disposition="merge"))
    schema.update_table(new_table("incidents__teams") | {NESTED_IN: "incidents"})  # type: ignore[arg-type]
    schema.update_table(
        new_table("incidents__teams__members", parent_table_name="incidents__teams")
    )
    return schema


def test_a_load_into_a_root_touches_every_table_nested_under_it():
    touched = tables_touched(nested_schema(), {"incidents"})
    assert touched == {"incidents", "incidents__teams", "incidents__teams__members"}


def test_a_load_into_a_nested_table_touches_its_whole_chain_and_nothing_else():
    touched = tables_touched(nested_schema(), {"incidents__teams__members"})
    assert touched == {"incidents", "incidents__teams", "incidents__teams__members"}


@pytest.fixture
def ledger() -> DuckDBClient:
    client = DuckDBClient()
    ensure_ledger(client)
    return client


def add_run(ledger: DuckDBClient, run_id: str, minute: int, status: str, tables: str | None):
    ledger.execute_sql(
        f"insert into {LEDGER_TABLE} (run_id, started_at, status, raw_tables)"
        " values (%s, timestamptz '2026-12-07 10:00:00+00' + %s * interval 1 minute, %s, %s)",
        run_id,
        minute,
        status,
        tables,
    )


def test_the_previous_successful_runs_digests_are_reused(ledger):
    add_run(ledger, "older", 0, "success", '{"incidents": "old"}')
    add_run(ledger, "previous", 1, "success", '{"incidents": "new"}')
    add_run(ledger, "this", 2, "running", None)
    assert previous_run_digests(ledger, "this") == {"incidents": "new"}


@pytest.mark.parametrize("status", ["failed", "interrupted", "running"])
def test_no_digest_is_reused_after_a_run_that_did_not_succeed(ledger, status):
    add_run(ledger, "older", 0, "success", '{"incidents": "old"}')
    add_run(ledger, "previous", 1, status, '{"incidents": "whatever it left"}')
    add_run(ledger, "this", 2, "running", None)
    assert previous_run_digests(ledger, "this") is None


def test_a_refused_run_in_between_does_not_stop_the_reuse(ledger):
    add_run(ledger, "previous", 0, "success", '{"incidents": "new"}')
    add_run(ledger, "refused", 1, "refused", None)
    add_run(ledger, "this", 2, "running", None)
    assert previous_run_digests(ledger, "this") == {"incidents": "new"}
