"""Rebuilding: determinism without new data, and the incremental fct_incidents path."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import replace

import duckdb
import pytest

from tests.marts import MARTS as ALL_MARTS

from .conftest import build, query, run_dbt
from .fixtures import INCIDENTS, LOAD_3, Incident, insert_incident, write_incident_deletions

MARTS = [*ALL_MARTS, "sla_targets"]  # the SLA seed is published beside them


def compiled_fct_incidents(work_dir) -> str:
    """The model's compiled SQL (not the unit test's, which dbt compiles under the same name)."""
    models = work_dir / "target" / "compiled" / "incident_analytics" / "transform" / "models"
    return (models / "marts" / "fct_incidents.sql").read_text()


# Another day, year and time zone for the rebuild: marts must not read the clock.
OTHER_CLOCK = ["faketime", "2031-03-01 12:00:00"]
OTHER_TIME_ZONE = {"TZ": "Pacific/Kiritimati"}  # UTC+14: another calendar day than UTC


def test_second_build_without_new_data_leaves_every_mart_identical(
    built_warehouse, warehouse_copy, tmp_path
):
    if shutil.which("faketime") is None:
        pytest.skip("faketime (Debian package faketime) is needed to rebuild under another clock")
    result = run_dbt(
        ["run"], warehouse_copy, tmp_path, clock=OTHER_CLOCK, extra_env=OTHER_TIME_ZONE
    )
    assert result.returncode == 0, result.output[-6000:]
    con = duckdb.connect()
    try:
        con.execute(f"attach '{built_warehouse.db_path}' as first_build (read_only)")
        con.execute(f"attach '{warehouse_copy}' as second_build (read_only)")
        for mart in MARTS:
            first, second = f"first_build.marts.{mart}", f"second_build.marts.{mart}"
            [(first_rows,)] = query(con, f"select count(*) from {first}")
            [(second_rows,)] = query(con, f"select count(*) from {second}")
            assert first_rows == second_rows > 0, mart
            for left, right in ((first, second), (second, first)):
                diff = query(con, f"select * from {left} except all select * from {right}")
                assert diff == [], f"{mart} changed between builds: {diff[:3]}"
    finally:
        con.close()


def test_incremental_build_merges_only_newly_loaded_incidents(warehouse_copy, tmp_path):
    # inc-003 gets resolved (90 minutes, medium target 1440) and moves to team 5.
    changed = replace(
        next(inc for inc in INCIDENTS if inc.id == "inc-003"),
        status="resolved",
        resolved="2026-03-02 09:30:00+00",
        teams=["5"],
        load_id=LOAD_3,
    )
    # A new high incident resolved after 270 minutes (target 240): breached.
    new = Incident(
        17,
        "normal",
        "resolved",
        "high",
        "2026-03-06 10:00:00+00",
        acknowledged="2026-03-06 10:04:00+00",
        resolved="2026-03-06 14:30:00+00",
        teams=["3"],
        load_id=LOAD_3,
    )
    con = duckdb.connect(str(warehouse_copy))
    try:
        insert_incident(con, changed)
        insert_incident(con, new)
    finally:
        con.close()

    # Building +fct_incidents+ (the intermediate tables it reads are rebuilt from raw first)
    # also runs the singular test comparing it with a full recompute.
    build(warehouse_copy, tmp_path, "--select", "+fct_incidents+")

    # the incremental branch ran
    assert "cross join existing_loads" in compiled_fct_incidents(tmp_path)

    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        assert query(
            con,
            "select incident_id, minutes_to_resolve, is_sla_breached, primary_team_id "
            "from marts.fct_incidents where incident_id in ('inc-003', 'inc-017') order by 1",
        ) == [("inc-003", 90.0, False, "5"), ("inc-017", 270.0, True, "3")]
        assert query(con, "select count(*) from marts.fct_incidents") == [(17,)]
        assert query(
            con,
            "select max(date_day), sum(incidents_started) from marts.incident_metrics_daily",
        ) == [(dt.date(2026, 3, 6), 10)]
    finally:
        con.close()


def test_incremental_build_applies_a_deletion_check_without_reloaded_incidents(
    warehouse_copy, tmp_path
):
    # A check in LOAD_3 reloads no incident: it finds inc-001 (loaded in LOAD_1) deleted,
    # keeps inc-007, and no longer lists inc-015 (found again upstream, not reloaded yet).
    con = duckdb.connect(str(warehouse_copy))
    try:
        write_incident_deletions(
            con,
            LOAD_3,
            [("inc-001", "2026-03-07 11:30:00+00"), ("inc-007", "2026-03-05 12:00:00+00")],
        )
    finally:
        con.close()

    # The build runs the singular tests comparing fct_incidents with a full recompute and
    # dim_teams' counts with the bridge.
    build(warehouse_copy, tmp_path)

    # the incremental branch ran
    assert "left join changed_deletions" in compiled_fct_incidents(tmp_path)

    con = duckdb.connect(str(warehouse_copy), read_only=True)
    try:
        assert query(
            con,
            "select incident_id, is_deleted, deleted_found_at, is_countable "
            "from marts.fct_incidents where incident_id in ('inc-001', 'inc-007', 'inc-015') "
            "order by 1",
        ) == [
            ("inc-001", True, dt.datetime(2026, 3, 7, 11, 30), False),
            ("inc-007", True, dt.datetime(2026, 3, 5, 12, 0), False),
            ("inc-015", False, None, True),
        ]
        assert query(con, "select count(*) from marts.fct_incidents") == [(16,)]
        assert query(con, "select incident_count from marts.dim_teams where team_id = '3'") == [
            (4,)  # inc 3, 6, 14, 15; inc-001 and inc-007 are deleted
        ]
        # 2026-03-01 critical: inc-015 (30) and inc-016 (45); inc-001 (90) is gone.
        assert query(
            con,
            "select incidents_started, median_minutes_to_resolve from marts.incident_metrics_daily"
            " where date_day = date '2026-03-01' and severity_level = 'critical'",
        ) == [(2, 37.5)]
    finally:
        con.close()


@pytest.mark.parametrize(
    ("drift", "differences"),
    [
        pytest.param(
            "update marts.fct_incidents set title = title || ' (edited)'"
            " where incident_id = 'inc-001'",
            2,
            id="a-changed-value",
        ),
        pytest.param(
            "update marts.fct_incidents set acknowledged_at = null"
            " where incident_id = (select min(incident_id) from marts.fct_incidents"
            " where acknowledged_at is not null)",
            2,
            id="a-value-turned-null",
        ),
        pytest.param(
            "delete from marts.fct_incidents where incident_id = 'inc-002'",
            1,
            id="a-missing-row",
        ),
    ],
)
def test_reconciliation_test_lists_each_incident_that_drifts_from_a_full_recompute(
    warehouse_copy, tmp_path, drift, differences
):
    con = duckdb.connect(str(warehouse_copy))
    try:
        con.execute(drift)
    finally:
        con.close()

    result = run_dbt(
        ["test", "--select", "fct_incidents_matches_full_recompute"],
        warehouse_copy,
        tmp_path,
    )

    assert result.returncode == 1, result.output[-3000:]
    assert f"Got {differences} result" in result.output, result.output[-3000:]
