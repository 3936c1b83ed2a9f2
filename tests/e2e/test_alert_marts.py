"""The alert marts after a real `just elt` on the demo API, recomputed in plain Python from
the API's ground truth: alert count and ids, the incident each alert became, noise share,
share that became incidents, median minutes open, and a few day x source x urgency cells.

Definitions (as the marts' docs state them): an alert became the first incident it names
(by list position) that exists and is not deleted upstream; the noise share is noise over
classified alerts (NULL noise is unclassified); minutes open count ended alerts only.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime

import pytest

from ingestion.demo_api.more import DELETED_KEYS

pytestmark = pytest.mark.e2e


def _parse(ts: str | None) -> datetime | None:
    if ts is None:
        return None
    return datetime.fromisoformat(ts.replace("Z", "+00:00")).astimezone(UTC)


@pytest.fixture(scope="module")
def truth(demo_truth) -> dict:
    """Per alert, the mart columns recomputed from what the API serves."""
    data = demo_truth
    live_incidents = {record["id"] for record in data["incidents"]}
    urgency_names = {u["id"]: u["attributes"]["name"] for u in data["alert_urgencies"]}
    deleted_urgencies = set(data[DELETED_KEYS["alert_urgencies"]])
    sources_by_type = Counter(s["attributes"]["source_type"] for s in data["alert_sources"])
    source_names = {
        s["attributes"]["source_type"]: s["attributes"]["name"]
        for s in data["alert_sources"]
        if sources_by_type[s["attributes"]["source_type"]] == 1
    }
    alerts = {}
    for record in data["alerts"]:
        a = record["attributes"]
        started, ended = _parse(a.get("started_at")), _parse(a.get("ended_at"))
        linked = [link["id"] for link in record["relationships"]["incidents"]["data"]]
        became = next((i for i in linked if i in live_incidents), None)
        nested = a.get("alert_urgency") or {}
        urgency_id = a.get("alert_urgency_id") or nested.get("id")
        alerts[record["id"]] = {
            "source": a["source"],
            "source_name": source_names.get(a["source"]),
            "urgency_id": urgency_id,
            "urgency_name": urgency_names.get(urgency_id, nested.get("name")),
            "is_noise": {"noise": True, "not_noise": False}.get(a.get("noise")),
            "incident_id": became,
            "linked": len(linked),
            "started_date": started.date() if started else None,
            "minutes_open": (ended - started).total_seconds() / 60 if started and ended else None,
            "is_open": ended is None and a.get("status") != "resolved",
            "services": len(a.get("services") or []),
        }
    return {"alerts": alerts, "deleted_urgencies": deleted_urgencies}


@pytest.fixture(scope="module")
def fct(demo_run) -> dict[str, dict]:
    with demo_run.connect() as con:
        cursor = con.execute("select * from marts.fct_alerts")
        names = [column[0] for column in cursor.description]
        return {row[0]: dict(zip(names, row, strict=True)) for row in cursor.fetchall()}


def _cells(alerts: dict) -> dict[tuple, list[dict]]:
    cells = defaultdict(list)
    for alert in alerts.values():
        if alert["started_date"] is not None:
            key = (alert["started_date"], alert["source"], alert["urgency_id"] or "none")
            cells[key].append(alert)
    return cells


def test_one_row_per_alert_the_api_serves(truth, fct):
    assert len(truth["alerts"]) > 0
    assert set(fct) == set(truth["alerts"])


def test_the_incident_each_alert_became(truth, fct):
    expected = {
        alert_id: (a["incident_id"], a["incident_id"] is not None, a["linked"])
        for alert_id, a in truth["alerts"].items()
    }
    got = {
        alert_id: (row["incident_id"], row["became_incident"], row["linked_incident_count"])
        for alert_id, row in fct.items()
    }
    assert got == expected
    # realistic proportions: most alerts never become an incident
    became = sum(1 for a in truth["alerts"].values() if a["incident_id"])
    assert 0 < became < len(truth["alerts"]) / 2


def test_alert_attributes_match(truth, fct):
    def project(row_or_truth: dict, keys: tuple[str, ...]) -> tuple:
        return tuple(row_or_truth[k] for k in keys)

    got = {
        alert_id: project(
            row,
            (
                "source",
                "alert_source_name",
                "alert_urgency_id",
                "alert_urgency_name",
                "is_noise",
                "is_open",
                "started_date",
                "service_count",
            ),
        )
        for alert_id, row in fct.items()
    }
    expected = {
        alert_id: project(
            a,
            (
                "source",
                "source_name",
                "urgency_id",
                "urgency_name",
                "is_noise",
                "is_open",
                "started_date",
                "services",
            ),
        )
        for alert_id, a in truth["alerts"].items()
    }
    assert got == expected
    for alert_id, a in truth["alerts"].items():
        assert fct[alert_id]["minutes_open"] == pytest.approx(a["minutes_open"]), alert_id


def test_headline_shares_and_median_match_ground_truth(demo_run, truth):
    alerts = list(truth["alerts"].values())
    started = [a for a in alerts if a["started_date"] is not None]
    classified = [a for a in started if a["is_noise"] is not None]
    expected_noise = sum(1 for a in classified if a["is_noise"]) / len(classified)
    expected_became = sum(1 for a in started if a["incident_id"]) / len(started)
    expected_median = statistics.median(
        a["minutes_open"] for a in alerts if a["minutes_open"] is not None
    )
    with demo_run.connect() as con:
        noise, became, total = con.execute(
            "select sum(alerts_noise) / sum(alerts_classified), "
            "sum(alerts_became_incident) / sum(alerts), sum(alerts) "
            "from marts.alert_metrics_daily"
        ).fetchone()
        median = con.execute("select median(minutes_open) from marts.fct_alerts").fetchone()[0]
    assert total == len(started)
    assert noise == pytest.approx(expected_noise)
    assert became == pytest.approx(expected_became)
    assert median == pytest.approx(expected_median)
    # a share of the alerts is noise, and a share is not
    assert 0 < expected_noise < 1


def test_daily_cells_match_ground_truth(demo_run, truth):
    cells = _cells(truth["alerts"])
    with demo_run.connect() as con:
        cursor = con.execute("select * from marts.alert_metrics_daily where alerts > 0")
        names = [column[0] for column in cursor.description]
        got = {
            (row["date_day"], row["source"], row["alert_urgency_id"]): row
            for row in (dict(zip(names, r, strict=True)) for r in cursor.fetchall())
        }
    assert {key: row["alerts"] for key, row in got.items()} == {
        key: len(members) for key, members in cells.items()
    }
    # the busiest cells, and a cell with an open alert, in full
    busiest = sorted(cells, key=lambda key: (-len(cells[key]), key))[:3]
    with_open = [key for key in sorted(cells) if any(a["is_open"] for a in cells[key])][:1]
    for key in [*busiest, *with_open]:
        members, row = cells[key], got[key]
        classified = [a for a in members if a["is_noise"] is not None]
        ended = [a["minutes_open"] for a in members if a["minutes_open"] is not None]
        assert row["alerts_noise"] == sum(1 for a in classified if a["is_noise"]), key
        assert row["noise_share"] == (
            pytest.approx(row["alerts_noise"] / len(classified)) if classified else None
        )
        became = sum(1 for a in members if a["incident_id"])
        assert row["became_incident_share"] == pytest.approx(became / len(members)), key
        assert row["alerts_open"] == sum(1 for a in members if a["is_open"]), key
        expected_median = statistics.median(ended) if ended else None
        assert row["median_minutes_open"] == pytest.approx(expected_median), key
