"""The incremental fct_alerts: a run rewrites exactly the alerts whose row changed.

`fct_alerts` recomputes every alert and writes only the rows whose fingerprint differs
from the stored one. Each test changes the fixture warehouse's raw tables the way a later
load would (no alert reloaded unless it says so), builds again, and reads `fct_alerts`.
"""

from __future__ import annotations

import duckdb

from .conftest import build, query, run_dbt
from .fixtures import LOAD_3, RAW_SCHEMA, load_ts, write_incident_deletions


def compiled_fct_alerts(work_dir) -> str:
    models = work_dir / "target" / "compiled" / "incident_analytics" / "transform" / "models"
    return (models / "marts" / "fct_alerts.sql").read_text()


def execute(db_path, *statements: str) -> None:
    con = duckdb.connect(str(db_path))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def fct_alerts(db_path, columns: str, alert_ids: tuple[str, ...]) -> list[tuple]:
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        return query(
            con,
            f"select alert_id, {columns} from marts.fct_alerts"
            " where list_contains(?, alert_id) order by alert_id",
            [list(alert_ids)],
        )
    finally:
        con.close()


def new_scd2_version(table: str, record_id: str, column: str, value: str) -> list[str]:
    """A full scan in LOAD_3 that finds `record_id` changed: dlt's scd2 retires the old
    version and inserts the new one."""
    valid = load_ts(LOAD_3)  # SQL: the load's timestamp
    return [
        f"insert into {RAW_SCHEMA}.{table} select * replace ("
        f"'{value}' as {column}, {valid} as _dlt_valid_from, null as _dlt_valid_to,"
        f" '{LOAD_3}' as _dlt_load_id, _dlt_id || 'v3' as _dlt_id)"
        f" from {RAW_SCHEMA}.{table} where id = '{record_id}' and _dlt_valid_to is null",
        f"update {RAW_SCHEMA}.{table} set _dlt_valid_to = {valid}"
        f" where id = '{record_id}' and _dlt_load_id <> '{LOAD_3}' and _dlt_valid_to is null",
    ]


def test_an_incremental_run_rewrites_a_reloaded_alert(warehouse_copy, tmp_path):
    execute(
        warehouse_copy,
        f"update {RAW_SCHEMA}.alerts set attributes__status = 'resolved',"
        " attributes__ended_at = timestamptz '2026-03-01 18:30:00+00',"
        f" _dlt_load_id = '{LOAD_3}' where id = 'alt-03'",
    )

    build(warehouse_copy, tmp_path, "--select", "+fct_alerts+")

    assert "existing_fingerprints" in compiled_fct_alerts(tmp_path)  # incremental branch
    assert fct_alerts(warehouse_copy, "status, minutes_open, is_open", ("alt-03",)) == [
        ("alt-03", "resolved", 30.0, False)
    ]


def test_an_incremental_run_relinks_alerts_whose_incidents_were_found_deleted_or_restored(
    warehouse_copy, tmp_path
):
    # A deletion check in LOAD_3 reloads no alert and no incident: it finds inc-001
    # deleted (alt-01 became it) and no longer lists inc-015 (alt-02 names it first).
    with duckdb.connect(str(warehouse_copy)) as con:
        write_incident_deletions(
            con,
            LOAD_3,
            [("inc-001", "2026-03-07 11:30:00+00"), ("inc-007", "2026-03-05 12:00:00+00")],
        )

    build(warehouse_copy, tmp_path, "--select", "+fct_alerts+")

    ids = ("alt-01", "alt-02", "alt-04", "alt-08")
    assert fct_alerts(warehouse_copy, "incident_id, became_incident", ids) == [
        ("alt-01", "inc-003", True),
        ("alt-02", "inc-015", True),
        ("alt-04", None, False),  # inc-007 is still deleted
        ("alt-08", "inc-002", True),  # untouched
    ]


def test_an_incremental_run_renames_alerts_whose_source_was_renamed(warehouse_copy, tmp_path):
    execute(warehouse_copy, *new_scd2_version("alert_sources", "as-1", "attributes__name", "DD"))

    build(warehouse_copy, tmp_path, "--select", "+fct_alerts+")

    assert fct_alerts(warehouse_copy, "alert_source_name", ("alt-01", "alt-04", "alt-08")) == [
        ("alt-01", "DD"),
        ("alt-04", None),  # grafana: two sources
        ("alt-08", "DD"),
    ]


def test_an_incremental_run_renames_alerts_whose_urgency_was_renamed(warehouse_copy, tmp_path):
    execute(
        warehouse_copy, *new_scd2_version("alert_urgencies", "u-low", "attributes__name", "Minor")
    )

    build(warehouse_copy, tmp_path, "--select", "+fct_alerts+")

    assert fct_alerts(warehouse_copy, "alert_urgency_name", ("alt-01", "alt-04")) == [
        ("alt-01", "High"),
        ("alt-04", "Minor"),
    ]


def test_an_incremental_run_writes_only_the_alerts_whose_row_changed(warehouse_copy, tmp_path):
    execute(
        warehouse_copy,
        f"update {RAW_SCHEMA}.alerts set attributes__summary = 'reloaded',"
        f" _dlt_load_id = '{LOAD_3}' where id = 'alt-03'",
    )

    # The compiled incremental model is the select of the rows the run deletes and inserts.
    result = run_dbt(["compile", "--select", "fct_alerts"], warehouse_copy, tmp_path)

    assert result.returncode == 0, result.output[-3000:]
    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        batch = query(con, f"select alert_id, summary from ({compiled_fct_alerts(tmp_path)})")
    finally:
        con.close()
    assert batch == [("alt-03", "reloaded")]


def test_an_incremental_run_repairs_a_stored_row_that_differs_from_a_recompute(
    warehouse_copy, tmp_path
):
    execute(
        warehouse_copy, "update marts.fct_alerts set summary = 'edited' where alert_id = 'alt-02'"
    )

    result = run_dbt(["run", "--select", "fct_alerts"], warehouse_copy, tmp_path)

    assert result.returncode == 0, result.output[-3000:]
    assert fct_alerts(warehouse_copy, "summary", ("alt-02",)) == [("alt-02", "Alert 2")]
