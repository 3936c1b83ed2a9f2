"""The full-scan cadence (`sources.analytics_api.full_scan_hours`, `ingestion/full_scans.py`):
a scan loaded less than the cadence ago is not requested, its tables stay exactly as loaded,
and it is read again once due, when forced, or after a run that failed.

In-process like test_unchanged_scans.py: the run's own planning (`plan_skipped_scans`), the
real dlt pipeline into a temporary DuckDB file, the demo API on loopback; no dbt.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
import pytest

from ingestion.api_endpoint import retry_policy
from ingestion.demo_api import run_demo_api
from ingestion.full_scans import DIGEST_TABLE, scans_not_due
from ingestion.http import ApiSession, HttpStats
from ingestion.load import load, make_pipeline
from ingestion.recovery import bind_state_to_warehouse
from ingestion.run import plan_skipped_scans
from ingestion.run_options import RunOptions
from ingestion.source import CADENCED_SCANS, analytics_api_source
from ingestion.summary import RunSummary, StepTimer
from tests.ingestion.test_more_resources import assert_new_tables_equal_ground_truth
from tests.ingestion.test_sync import query
from tests.workspace import SCD2_TABLES

SIZE = {"seed": 5, "incidents": 40, "dashboards": 6}
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def api(tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        yield api


@pytest.fixture
def six_hourly(settings):
    return settings.with_overrides(full_scan_hours=6.0)


def run(settings, api, **options) -> tuple[list[str], ApiSession]:
    """One run as `just elt` plans and loads it; returns (scans left out, session)."""
    pipeline = make_pipeline(settings)
    bind_state_to_warehouse(pipeline)
    skipped = plan_skipped_scans(pipeline, settings, RunOptions(**options))
    session = ApiSession(api.base_url, retry_policy(settings))
    source = analytics_api_source(settings, api.base_url, api.token, session, skipped_scans=skipped)
    load(pipeline, source, StepTimer(), full_refresh=options.get("full_refresh", False))
    return skipped, session


def versions(settings) -> dict[str, list[tuple]]:
    """Every scd2 version of every cadenced table, with its validity window."""
    return {
        table: query(settings, f"select _dlt_id, _dlt_valid_to from raw.{table} order by all")
        for table in CADENCED_SCANS
    }


def scanned_at(settings) -> dict[str, str]:
    return dict(query(settings, f"select table_name, scanned_at from {DIGEST_TABLE}"))


def backdate_scans(settings, hours: float) -> None:
    """As if every scan had last loaded `hours` ago."""
    when = (datetime.now(UTC) - timedelta(hours=hours)).isoformat()
    with duckdb.connect(settings.duckdb_path) as con:
        con.execute(f"update {DIGEST_TABLE} set scanned_at = ?", [when])


def test_by_default_every_run_reads_every_full_scan(settings, api):
    run(settings, api)
    api.apply_changes()
    skipped, session = run(settings, api)
    assert skipped == []
    for table in CADENCED_SCANS:
        assert session.stats.requests[f"/v1/{table}"] > 0, table
    assert_new_tables_equal_ground_truth(settings, api.ground_truth())


def test_scans_loaded_within_the_cadence_are_not_requested_and_their_tables_stay(six_hourly, api):
    run(six_hourly, api)
    before = versions(six_hourly)
    api.apply_changes(2)  # every batch edits, adds and deletes follow-ups
    skipped, session = run(six_hourly, api)
    assert skipped == list(CADENCED_SCANS)
    assert not set(session.stats.requests) & {f"/v1/{table}" for table in CADENCED_SCANS}
    assert session.stats.requests["/v1/dashboards"] > 0  # not on the cadence
    assert versions(six_hourly) == before  # nothing retired for not having been read


def test_forced_full_scans_bring_the_skipped_tables_to_ground_truth(six_hourly, api):
    run(six_hourly, api)
    api.apply_changes(2)
    run(six_hourly, api)
    skipped, _ = run(six_hourly, api, full_scans=True)
    assert skipped == []
    assert_new_tables_equal_ground_truth(six_hourly, api.ground_truth())


def test_a_scan_is_read_again_once_the_cadence_has_elapsed(six_hourly, api):
    run(six_hourly, api)
    api.apply_changes(2)
    backdate_scans(six_hourly, hours=6.5)
    skipped, session = run(six_hourly, api)
    assert skipped == []
    assert session.stats.requests["/v1/action_items"] > 0
    assert_new_tables_equal_ground_truth(six_hourly, api.ground_truth())


def test_a_run_that_failed_leaves_the_scans_due(six_hourly, api):
    run(six_hourly, api)
    backdate_scans(six_hourly, hours=7)
    due = scanned_at(six_hourly)
    api.set_faults(fail_after_pages=5)
    with pytest.raises(Exception):  # noqa: B017 - which step gives up is not the point
        run(six_hourly, api)
    assert scanned_at(six_hourly) == due
    api.set_faults()
    api.apply_changes()
    skipped, _ = run(six_hourly, api)
    assert skipped == []
    assert_new_tables_equal_ground_truth(six_hourly, api.ground_truth())


def test_a_full_refresh_reads_every_scan_whatever_the_cadence(six_hourly, api):
    run(six_hourly, api)
    skipped, session = run(six_hourly, api, full_refresh=True)
    assert skipped == []
    assert session.stats.requests["/v1/action_items"] > 0


def test_a_first_run_that_is_a_full_refresh_records_when_it_scanned(six_hourly, api):
    run(six_hourly, api, full_refresh=True)
    assert sorted(scanned_at(six_hourly)) == sorted(("dashboards", *CADENCED_SCANS))
    skipped, _ = run(six_hourly, api)
    assert skipped == list(CADENCED_SCANS)


def test_every_full_scan_but_dashboards_is_on_the_cadence():
    assert "dashboards" not in CADENCED_SCANS
    assert sorted(CADENCED_SCANS) == sorted(SCD2_TABLES)


def test_a_scan_never_loaded_is_due():
    assert scans_not_due({}, ["teams"], 6.0, NOW) == []


def test_a_scan_younger_than_the_cadence_is_not_due_and_an_older_one_is():
    scanned = {
        "teams": (NOW - timedelta(hours=5, minutes=59)).isoformat(),
        "users": (NOW - timedelta(hours=6)).isoformat(),
    }
    assert scans_not_due(scanned, ["teams", "users"], 6.0, NOW) == ["teams"]


def test_a_cadence_of_zero_makes_every_scan_due():
    assert scans_not_due({"teams": NOW.isoformat()}, ["teams"], 0.0, NOW) == []


def test_the_summary_names_the_scans_left_out():
    summary = RunSummary(
        "http://api/v1/",
        True,
        "duckdb",
        {},
        {},
        HttpStats().as_dict(),
        [],
        {},
        scans_not_due=["action_items", "teams"],
    )
    (line,) = [line for line in summary.render().splitlines() if "not due" in line]
    assert line.split()[2:4] == ["action_items,", "teams"]
    assert "--full-scans" in line
