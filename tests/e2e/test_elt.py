"""`just elt` on the embedded default: demo API -> dlt -> DuckDB -> dbt, from the justfile."""

from __future__ import annotations

import csv
import statistics
from collections import Counter
from datetime import datetime

import duckdb
import pytest

from ingestion.demo_api import run_demo_api
from tests.workspace import DEMO_SIZE as DEMO
from tests.workspace import REPO_ROOT

pytestmark = pytest.mark.e2e


def api_totals(workspace) -> dict[str, int]:
    """What the demo API says it holds: `meta.total_count` per collection."""
    import requests

    with run_demo_api(
        seed=42, incidents=230, dashboards=17, state_dir=str(workspace.demo_state_dir)
    ) as api:
        headers = {"Authorization": f"Bearer {api.token}"}
        return {
            name: requests.get(
                f"{api.base_url}{name}", params={"page[size]": 1}, headers=headers, timeout=10
            ).json()["meta"]["total_count"]
            for name in ("incidents", "dashboards")
        }


@pytest.fixture(scope="module")
def first_run(demo_elt):
    return demo_elt


def test_elt_exits_zero_and_prints_a_summary(first_run):
    workspace, result = first_run
    assert result.returncode == 0, result.stderr
    assert "ELT finished" in result.stdout
    assert "incidents" in result.stdout and "dashboards" in result.stdout
    assert str(workspace.duckdb_path) in result.stdout


def test_raw_row_counts_equal_the_apis_total_count(first_run):
    workspace, _ = first_run
    totals = api_totals(workspace)
    assert workspace.scalar("select count(*) from raw.incidents") == totals["incidents"]
    current = "select count(*) from raw.dashboards where _dlt_valid_to is null"
    assert workspace.scalar(current) == totals["dashboards"]


def test_marts_are_built_from_the_load(first_run):
    workspace, _ = first_run
    assert workspace.scalar("select count(*) from marts.fct_incidents") == workspace.scalar(
        "select count(*) from raw.incidents"
    )


def test_a_second_run_leaves_the_counts_unchanged(first_run):
    workspace, _ = first_run
    before = workspace.scalar("select count(*) from raw.incidents")
    dashboards_before = workspace.scalar("select count(*) from raw.dashboards")
    result = workspace.just("elt", **DEMO)
    assert result.returncode == 0, result.stderr
    assert workspace.scalar("select count(*) from raw.incidents") == before
    assert workspace.scalar("select count(distinct id) from raw.incidents") == before
    assert workspace.scalar("select count(*) from raw.dashboards") == dashboards_before


def test_query_prints_the_raw_count(first_run):
    workspace, _ = first_run
    result = workspace.just("query", "select count(*) as n from raw.incidents")
    assert result.returncode == 0, result.stderr
    assert "(1 row," in result.stdout
    assert str(workspace.scalar("select count(*) from raw.incidents")) in result.stdout


# ---- the marts' headline numbers, recomputed from the API's ground truth in plain Python ----

COUNTABLE = {"normal", "normal_sub", "backfilled"}


def _parse(ts: str | None) -> datetime | None:
    return None if ts is None else datetime.fromisoformat(ts.replace("Z", "+00:00"))


def _sla_targets() -> dict[str, float]:
    seed = REPO_ROOT / "transform" / "seeds" / "sla_targets.csv"
    with seed.open() as handle:
        return {
            row["severity_level"]: float(row["sla_target_minutes"])
            for row in csv.DictReader(handle)
        }


@pytest.fixture(scope="module")
def truth(first_run) -> list[dict]:
    """Countable incidents as the API serves them, with minutes to resolve computed here."""
    workspace, _ = first_run
    with run_demo_api(
        seed=42, incidents=230, dashboards=17, state_dir=str(workspace.demo_state_dir)
    ) as api:
        incidents = api.ground_truth()["incidents"]
    rows = []
    for record in incidents:
        a = record["attributes"]
        if a["kind"] not in COUNTABLE:
            continue
        started, resolved = _parse(a["started_at"]), _parse(a["resolved_at"])
        severity = (a["severity"] or {"data": {"attributes": {"severity": None}}})["data"]
        minutes = (resolved - started).total_seconds() / 60 if started and resolved else None
        rows.append(
            {
                "severity": severity["attributes"]["severity"],
                "started_day": started.date() if started else None,
                "minutes_to_resolve": minutes,
            }
        )
    return rows


def test_median_minutes_to_resolve_per_severity_matches_ground_truth(first_run, truth):
    workspace, _ = first_run
    expected = {}
    for severity in {r["severity"] for r in truth}:
        values = [
            r["minutes_to_resolve"]
            for r in truth
            if r["severity"] == severity and r["minutes_to_resolve"] is not None
        ]
        if values:
            expected[severity] = statistics.median(values)
    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        got = dict(
            con.execute(
                "select severity_level, percentile_cont(0.5) within group"
                " (order by minutes_to_resolve) from marts.fct_incidents"
                " where is_countable and minutes_to_resolve is not null group by 1"
            ).fetchall()
        )
    assert got.keys() == expected.keys()
    for severity, value in expected.items():
        assert got[severity] == pytest.approx(value, abs=1e-6), severity


def test_sla_breach_counts_match_ground_truth(first_run, truth):
    workspace, _ = first_run
    targets = _sla_targets()
    expected = Counter(
        r["severity"]
        for r in truth
        if r["minutes_to_resolve"] is not None
        and r["severity"] in targets
        and r["minutes_to_resolve"] > targets[r["severity"]]
    )
    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        got = dict(
            con.execute(
                "select severity_level, sum(incidents_sla_breached)"
                " from marts.incident_metrics_daily group by 1"
                " having sum(incidents_sla_breached) > 0"
            ).fetchall()
        )
    assert got == dict(expected)
    assert sum(expected.values()) > 0


def test_incidents_started_per_day_match_ground_truth(first_run, truth):
    workspace, _ = first_run
    expected = Counter(r["started_day"] for r in truth if r["started_day"] is not None)
    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        got = dict(
            con.execute(
                "select cast(date_day as date), sum(incidents_started)"
                " from marts.incident_metrics_daily group by 1 having sum(incidents_started) > 0"
            ).fetchall()
        )
    assert got == dict(expected)
