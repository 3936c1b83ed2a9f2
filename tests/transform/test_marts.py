"""Mart values after one `dbt build` of the fixture warehouse, checked against hand-computed
numbers (see the incident table in `fixtures.py`). inc-015 and inc-007 are deleted upstream
(`INCIDENT_DELETIONS`): they are rows of `fct_incidents` but in no metric."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import query, query_dicts

SEVERITY_LEVELS = ["critical", "high", "low", "medium", "none"]


def incident(warehouse, incident_id: str) -> dict:
    rows = query_dicts(
        warehouse, "select * from marts.fct_incidents where incident_id = ?", [incident_id]
    )
    assert len(rows) == 1
    return rows[0]


def daily(warehouse, day: str, level: str) -> dict:
    rows = query_dicts(
        warehouse,
        "select * from marts.incident_metrics_daily where date_day = ? and severity_level = ?",
        [dt.date.fromisoformat(day), level],
    )
    assert len(rows) == 1
    return rows[0]


def team_month(warehouse, team_id: str) -> dict:
    rows = query_dicts(
        warehouse, "select * from marts.team_incident_summary where team_id = ?", [team_id]
    )
    assert len(rows) == 1
    return rows[0]


def test_build_succeeds_with_every_node_passing(built_warehouse):
    assert "Completed successfully" in built_warehouse.run.output
    assert " WARN=0 " in built_warehouse.run.output


def test_models_land_in_plain_custom_schemas(warehouse):
    rows = query(
        warehouse,
        "select table_schema, table_name from information_schema.tables "
        "where table_schema in ('staging', 'intermediate', 'marts')",
    )
    by_name = {name: schema for schema, name in rows}
    assert by_name["stg_analytics_api__incidents"] == "staging"
    assert by_name["int_incidents__durations"] == "intermediate"
    assert by_name["fct_incidents"] == "marts"
    assert by_name["sla_targets"] == "marts"
    assert not query(
        warehouse,
        "select schema_name from information_schema.schemata where schema_name like 'main_%'",
    )


def test_fct_incidents_has_one_row_per_raw_incident(warehouse):
    assert query(warehouse, "select count(*) from marts.fct_incidents") == [(16,)]


def test_minutes_to_resolve_is_exact_fractional(warehouse):
    assert incident(warehouse, "inc-005")["minutes_to_resolve"] == 45.5


def test_minutes_to_detect_counts_seconds_not_boundaries(warehouse):
    assert incident(warehouse, "inc-002")["minutes_to_detect"] == 1.5


def test_duration_across_midnight_is_not_rounded_to_days(warehouse):
    row = incident(warehouse, "inc-002")
    assert row["minutes_to_acknowledge"] == 15.0
    assert row["minutes_to_mitigate"] == 60.0
    assert row["minutes_to_resolve"] == 150.0


def test_missing_lifecycle_timestamps_give_null_durations(warehouse):
    row = incident(warehouse, "inc-004")
    assert row["minutes_to_detect"] is None
    assert row["minutes_to_acknowledge"] is None
    assert row["minutes_to_resolve"] == 4320.0
    no_start = incident(warehouse, "inc-012")
    assert no_start["started_at"] is None
    assert no_start["minutes_to_resolve"] is None


def test_timestamps_are_converted_to_utc(warehouse):
    row = incident(warehouse, "inc-013")
    # Loaded as 2026-03-05 00:30:00+01:00.
    assert row["started_at"] == dt.datetime(2026, 3, 4, 23, 30)
    assert row["started_date"] == dt.date(2026, 3, 4)
    assert row["minutes_to_detect"] == 0.5


@pytest.mark.parametrize(
    ("incident_id", "expected"),
    [
        ("inc-001", True),  # critical, 90 > 60
        ("inc-013", False),  # critical, exactly 60
        ("inc-014", True),  # medium, 1441 > 1440
        ("inc-004", False),  # low, exactly 4320
        ("inc-002", False),  # high, 150 <= 240
        ("inc-003", None),  # unresolved
        ("inc-006", None),  # cancelled
        ("inc-005", None),  # no severity, no target
    ],
)
def test_sla_breach_per_incident(warehouse, incident_id, expected):
    assert incident(warehouse, incident_id)["is_sla_breached"] is expected


def test_sla_targets_come_from_the_seed(warehouse):
    assert incident(warehouse, "inc-014")["sla_target_minutes"] == 1440
    assert incident(warehouse, "inc-005")["sla_target_minutes"] is None


def test_only_normal_normal_sub_and_backfilled_are_countable(warehouse):
    rows = query(
        warehouse,
        # Deleted incidents are never countable (see the deletion test below).
        "select kind, bool_and(is_countable) filter (where not is_deleted), bool_or(is_countable) "
        "from marts.fct_incidents group by kind order by kind",
    )
    countable = {kind for kind, every, _ in rows if every}
    never = {kind for kind, _, some in rows if not some}
    assert countable == {"normal", "normal_sub", "backfilled"}
    assert never == {"test", "test_sub", "example", "example_sub", "scheduled"}


def test_primary_team_is_first_listed_group(warehouse):
    row = incident(warehouse, "inc-014")
    assert (row["primary_team_id"], row["primary_team_name"]) == ("7", "Data")
    assert row["team_count"] == 2
    assert row["service_count"] == 2


def test_incident_without_groups_has_no_primary_team(warehouse):
    row = incident(warehouse, "inc-005")
    assert row["primary_team_id"] is None
    assert row["team_count"] == 0
    assert row["service_count"] == 1


def test_daily_metrics_cover_every_day_and_severity_level(warehouse):
    rows = query(
        warehouse,
        "select min(date_day), max(date_day), count(*), count(distinct severity_level) "
        "from marts.incident_metrics_daily",
    )
    assert rows == [(dt.date(2026, 3, 1), dt.date(2026, 3, 5), 25, 5)]
    levels = query(
        warehouse,
        "select distinct severity_level from marts.incident_metrics_daily order by 1",
    )
    assert [level for (level,) in levels] == SEVERITY_LEVELS


def test_daily_percentiles_for_a_busy_day(warehouse):
    row = daily(warehouse, "2026-03-01", "critical")
    # inc-001 (90, ack 10, breached), inc-016 (45, ack 3); the test incident inc-007 and
    # the deleted inc-015 (30, ack 2) are excluded.
    assert row["incidents_started"] == 2
    assert row["incidents_resolved"] == 2
    assert row["mean_minutes_to_resolve"] == pytest.approx(67.5)
    assert row["median_minutes_to_resolve"] == pytest.approx(67.5)
    assert row["p90_minutes_to_resolve"] == pytest.approx(85.5)
    assert row["mean_minutes_to_acknowledge"] == pytest.approx(6.5)
    assert row["median_minutes_to_acknowledge"] == pytest.approx(6.5)
    assert row["sla_breach_rate"] == pytest.approx(1 / 2)


def test_day_without_countable_incidents_has_zero_counts(warehouse):
    # Only test/example incidents started on 2026-03-03.
    rows = query_dicts(
        warehouse,
        "select * from marts.incident_metrics_daily where date_day = date '2026-03-03'",
    )
    assert len(rows) == 5
    for row in rows:
        assert row["incidents_started"] == 0
        assert row["incidents_open"] == 0
        assert row["mean_minutes_to_resolve"] is None
        assert row["sla_breach_rate"] is None


def test_daily_counts_open_and_unresolved_incidents(warehouse):
    medium = daily(warehouse, "2026-03-02", "medium")
    assert (medium["incidents_started"], medium["incidents_resolved"]) == (1, 0)
    assert medium["incidents_open"] == 1
    assert medium["sla_breach_rate"] is None
    cancelled = daily(warehouse, "2026-03-04", "high")
    assert (cancelled["incidents_started"], cancelled["incidents_open"]) == (1, 0)


def test_incidents_without_severity_are_reported_as_none(warehouse):
    row = daily(warehouse, "2026-03-02", "none")
    assert row["incidents_started"] == 1
    assert row["mean_minutes_to_resolve"] == 45.5
    assert row["sla_breach_rate"] is None


def test_daily_started_total_equals_countable_started_incidents(warehouse):
    # 10 countable incidents with a start, less the deleted inc-015.
    assert query(warehouse, "select sum(incidents_started) from marts.incident_metrics_daily") == [
        (9,)
    ]


def test_dim_teams_counts(warehouse):
    rows = query(
        warehouse,
        "select team_id, team_name, incident_count, dashboard_count, deleted_dashboard_count "
        "from marts.dim_teams order by team_id",
    )
    assert rows == [
        ("3", "Platform", 4, 2, 0),  # inc 1, 3, 6, 14; deleted inc-007 and inc-015 left out
        ("5", "Payments", 5, 1, 0),
        ("7", "Data", 4, 0, 0),
        ("9", None, 0, 0, 1),  # only seen on a deleted dashboard
    ]


def test_dim_dashboards_keeps_latest_version_and_flags_deleted(warehouse):
    rows = query(
        warehouse,
        "select dashboard_id, dashboard_name, team_id, is_deleted "
        "from marts.dim_dashboards order by dashboard_id",
    )
    assert rows == [
        ("dash-1", "Platform reliability", "3", False),
        ("dash-2", "Payments health", "5", False),
        ("dash-3", "Legacy search", "9", True),
        ("dash-4", "My on-call view", "3", False),
    ]


@pytest.mark.parametrize(
    ("team_id", "incidents", "resolved", "median", "breach_rate", "dashboards"),
    [
        ("3", 4, 2, 765.5, 2 / 2, 2),  # inc 1, 3, 6, 14 (inc-015 is deleted)
        ("5", 4, 4, 75.0, 1 / 4, 1),  # inc 1, 2, 13, 16
        ("7", 2, 2, 2880.5, 1 / 2, 0),  # inc 4, 14
    ],
)
def test_team_incident_summary(
    warehouse, team_id, incidents, resolved, median, breach_rate, dashboards
):
    row = team_month(warehouse, team_id)
    assert row["month_start"] == dt.date(2026, 3, 1)
    assert row["incidents"] == incidents
    assert row["incidents_resolved"] == resolved
    assert row["median_minutes_to_resolve"] == pytest.approx(median)
    assert row["sla_breach_rate"] == pytest.approx(breach_rate)
    assert row["dashboards_owned"] == dashboards


def test_bridges_have_one_row_per_listed_entry(warehouse):
    assert query(warehouse, "select count(*) from marts.bridge_incident_teams") == [(15,)]
    assert query(
        warehouse,
        "select count(*) from marts.bridge_incident_teams where is_primary",
    ) == [(13,)]
    assert query(
        warehouse,
        "select service_id, count(*) from marts.bridge_incident_services "
        "group by service_id order by service_id",
    ) == [("svc-api", 5), ("svc-db", 4), ("svc-web", 2)]


def test_deleted_incidents_are_in_fct_incidents_flagged_and_in_no_metric(warehouse):
    rows = query(
        warehouse,
        "select incident_id, kind, is_deleted, deleted_found_at, is_countable "
        "from marts.fct_incidents where incident_id in ('inc-002', 'inc-007', 'inc-015') "
        "order by incident_id",
    )
    assert rows == [
        # In the deletion set, but reloaded (LOAD_2) after the check (LOAD_1): alive.
        ("inc-002", "normal", False, None, True),
        # Loaded by the check's own load: deleted.
        ("inc-007", "test", True, dt.datetime(2026, 3, 5, 12, 0), False),
        # Loaded before the check: deleted; found at 12:00+01:00, i.e. 11:00 UTC.
        ("inc-015", "normal", True, dt.datetime(2026, 3, 5, 11, 0), False),
    ]
    assert query(
        warehouse, "select count(*) from marts.fct_incidents where is_deleted and is_countable"
    ) == [(0,)]
    # Still sliceable by team and service: the bridges keep the deleted incidents' links.
    assert query(
        warehouse,
        "select team_id from marts.bridge_incident_teams where incident_id = 'inc-015'",
    ) == [("3",)]
    # inc-015 (critical, started 2026-03-01, team 3) is in no count, rate or duration.
    assert daily(warehouse, "2026-03-01", "critical")["incidents_started"] == 2
    assert team_month(warehouse, "3")["incidents"] == 4
    assert query(warehouse, "select incident_count from marts.dim_teams where team_id = '3'") == [
        (4,)
    ]
