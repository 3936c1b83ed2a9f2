"""Alert mart values after one `dbt build` of the fixture warehouse, checked against numbers
computed by hand from the alert tables in `fixtures_alerts.py`.

Incidents named by the alerts: inc-001, inc-005 and inc-002 are alive; inc-015 and inc-007
are deleted upstream, so an alert naming only them did not become an incident."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import query, query_dicts

DAY_1, DAY_2, DAY_3 = (dt.date(2026, 3, day) for day in (1, 2, 3))


def alert(warehouse, alert_id: str) -> dict:
    rows = query_dicts(warehouse, "select * from marts.fct_alerts where alert_id = ?", [alert_id])
    assert len(rows) == 1
    return rows[0]


def cell(warehouse, day: dt.date, source: str, urgency_id: str) -> dict:
    rows = query_dicts(
        warehouse,
        "select * from marts.alert_metrics_daily "
        "where date_day = ? and source = ? and alert_urgency_id = ?",
        [day, source, urgency_id],
    )
    assert len(rows) == 1
    return rows[0]


def test_fct_alerts_has_one_row_per_alert(warehouse):
    ids = [row[0] for row in query(warehouse, "select alert_id from marts.fct_alerts order by 1")]
    assert ids == [f"alt-{n:02d}" for n in range(1, 9)]


@pytest.mark.parametrize(
    ("alert_id", "incident_id", "linked"),
    [
        ("alt-01", "inc-001", 2),
        # inc-015 (deleted) is listed first: the next live one is what it became
        ("alt-02", "inc-005", 2),
        ("alt-03", None, 0),
        # names only inc-007, deleted upstream
        ("alt-04", None, 1),
        # inc-002 was deleted, then restored and reloaded: alive
        ("alt-08", "inc-002", 1),
    ],
)
def test_the_incident_an_alert_became(warehouse, alert_id, incident_id, linked):
    row = alert(warehouse, alert_id)
    assert (row["incident_id"], row["became_incident"]) == (incident_id, incident_id is not None)
    assert row["linked_incident_count"] == linked


def test_bridge_alert_incidents_keeps_links_to_deleted_incidents(warehouse):
    rows = query(
        warehouse,
        "select alert_id, incident_id, list_index, is_incident_deleted, is_became_incident "
        "from marts.bridge_alert_incidents order by alert_id, list_index",
    )
    assert rows == [
        ("alt-01", "inc-001", 0, False, True),
        ("alt-01", "inc-003", 1, False, False),
        ("alt-02", "inc-015", 0, True, False),
        ("alt-02", "inc-005", 1, False, True),
        ("alt-04", "inc-007", 0, True, False),
        ("alt-08", "inc-002", 0, False, True),
    ]


@pytest.mark.parametrize(
    ("alert_id", "minutes_open", "is_open", "started_date"),
    [
        ("alt-01", 20.0, False, DAY_1),
        ("alt-02", 45.5, False, DAY_1),
        ("alt-03", None, True, DAY_1),  # still firing
        ("alt-04", 10.0, False, DAY_2),  # 23:30 at -02:00 is the next UTC day
        ("alt-06", None, True, DAY_3),  # deferred
        ("alt-07", None, False, None),  # resolved, but no start
        ("alt-08", 5.0, False, DAY_3),
    ],
)
def test_minutes_open_and_open_flag(warehouse, alert_id, minutes_open, is_open, started_date):
    row = alert(warehouse, alert_id)
    assert (row["minutes_open"], row["is_open"], row["started_date"]) == (
        minutes_open,
        is_open,
        started_date,
    )


def test_started_at_is_utc(warehouse):
    assert alert(warehouse, "alt-04")["started_at"] == dt.datetime(2026, 3, 2, 1, 30)


def test_noise_source_and_urgency_names(warehouse):
    rows = {
        row["alert_id"]: row
        for row in query_dicts(warehouse, "select * from marts.fct_alerts order by alert_id")
    }
    assert {k: r["is_noise"] for k, r in rows.items()} == {
        "alt-01": True,
        "alt-02": False,
        "alt-03": None,
        "alt-04": None,
        "alt-05": True,
        "alt-06": False,
        "alt-07": None,
        "alt-08": False,
    }
    # one datadog source; two grafana sources (ambiguous); the email source is deleted
    assert {r["source"]: r["alert_source_name"] for r in rows.values()} == {
        "datadog": "Datadog",
        "grafana": None,
        "email": None,
    }
    # the catalog's current name (P1 was renamed High), for a deleted urgency too; the
    # urgency sent only nested (alt-05) is still found
    assert rows["alt-01"]["alert_urgency_name"] == "High"
    assert (rows["alt-05"]["alert_urgency_id"], rows["alt-05"]["alert_urgency_name"]) == (
        "u-high",
        "High",
    )
    assert rows["alt-07"]["alert_urgency_name"] == "Informational"
    assert rows["alt-06"]["alert_urgency_id"] is None
    assert (rows["alt-02"]["is_group_leader_alert"], rows["alt-05"]["group_leader_alert_id"]) == (
        True,
        "alt-02",
    )


def test_services_bridge_and_count(warehouse):
    assert alert(warehouse, "alt-01")["service_count"] == 2
    assert alert(warehouse, "alt-05")["service_count"] == 0
    rows = query(
        warehouse,
        "select alert_id, service_id, list_index from marts.bridge_alert_services order by 1, 3",
    )
    # the orphan child row (its alert is not loaded) is dropped
    assert rows == [
        ("alt-01", "svc-api", 0),
        ("alt-01", "svc-db", 1),
        ("alt-02", "svc-web", 0),
        ("alt-03", "svc-web", 0),
    ]


def test_daily_grid_is_every_day_source_and_urgency(warehouse):
    # 3 days x {datadog, grafana} x {u-high, u-low, none}; email's only alert has no start
    assert query(warehouse, "select count(*) from marts.alert_metrics_daily") == [(18,)]
    days = query(warehouse, "select distinct date_day from marts.alert_metrics_daily order by 1")
    assert days == [(DAY_1,), (DAY_2,), (DAY_3,)]
    total = query(warehouse, "select sum(alerts) from marts.alert_metrics_daily")
    assert total == [(7,)]


def test_daily_cell_with_open_and_unclassified_alerts(warehouse):
    row = cell(warehouse, DAY_1, "datadog", "u-high")
    # alt-01 (noise, inc-001, 20 min), alt-02 (not noise, inc-005, 45.5), alt-03 (open,
    # unclassified), alt-05 (noise, 60 min)
    assert row["alerts"] == 4
    assert (row["alerts_noise"], row["alerts_classified"]) == (2, 3)
    assert row["noise_share"] == pytest.approx(2 / 3)
    assert (row["alerts_became_incident"], row["became_incident_share"]) == (2, 0.5)
    assert (row["alerts_open"], row["alerts_ended"]) == (1, 3)
    assert row["median_minutes_open"] == 45.5
    assert row["alert_urgency_name"] == "High"


def test_daily_cell_without_classified_alerts_has_null_noise_share(warehouse):
    row = cell(warehouse, DAY_2, "grafana", "u-low")
    assert (row["alerts"], row["alerts_classified"], row["noise_share"]) == (1, 0, None)
    # alt-04 names only a deleted incident
    assert (row["alerts_became_incident"], row["became_incident_share"]) == (0, 0.0)
    assert row["median_minutes_open"] == 10.0


def test_daily_cell_of_alerts_without_urgency(warehouse):
    row = cell(warehouse, DAY_3, "grafana", "none")
    assert (row["alert_urgency_name"], row["alerts"], row["alerts_open"]) == ("none", 1, 1)
    assert (row["noise_share"], row["median_minutes_open"]) == (0.0, None)


def test_daily_cell_without_alerts(warehouse):
    row = cell(warehouse, DAY_2, "datadog", "u-high")
    assert (row["alerts"], row["alerts_classified"], row["alerts_open"]) == (0, 0, 0)
    assert (row["noise_share"], row["became_incident_share"], row["median_minutes_open"]) == (
        None,
        None,
        None,
    )


def test_alert_source_secret_is_not_in_staging(warehouse):
    columns = query(
        warehouse,
        "select column_name from information_schema.columns "
        "where table_schema = 'staging' and table_name = 'stg_analytics_api__alert_sources'",
    )
    assert ("secret",) not in columns and columns


def test_urgency_deletions(warehouse):
    rows = query(
        warehouse,
        "select alert_urgency_id, alert_urgency_name, is_deleted "
        "from staging.stg_analytics_api__alert_urgencies order by 1",
    )
    assert rows == [
        ("u-high", "High", False),
        ("u-info", "Informational", True),  # retired from the full scan
        ("u-low", "Low", False),
        ("u-medium", "Medium", True),  # soft-deleted upstream
    ]
