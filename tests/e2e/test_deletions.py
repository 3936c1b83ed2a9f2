"""Incidents deleted upstream, end to end: `just elt`, a change batch, `just elt --check-deletions`.

The marts are compared with the demo API's ground truth after the deletions: deleted
incidents stay in `marts.fct_incidents` flagged, and no count or metric includes them.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime

import pytest

from ingestion.demo_api import run_demo_api
from tests.workspace import DEMO_SIZE, Workspace

# one xdist worker runs this module, so its module fixture (whole ELT runs) runs once
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("deletions")]

COUNTABLE = {"normal", "normal_sub", "backfilled"}


@pytest.fixture(scope="module")
def after_deletions(tmp_path_factory):
    """A warehouse loaded once, then again with a deletion check after two change batches."""
    workspace = Workspace(tmp_path_factory.mktemp("deletions"))
    first = workspace.just("elt", **DEMO_SIZE)
    assert first.returncode == 0, first.stderr
    workspace.apply_demo_changes(2)
    second = workspace.just("elt", "--check-deletions", **DEMO_SIZE)
    assert second.returncode == 0, second.stderr
    with run_demo_api(state_dir=str(workspace.demo_state_dir)) as api:
        truth = api.ground_truth()
    return workspace, second, truth


def rows(workspace, sql: str) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(workspace.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_summary_says_how_many_incidents_were_found_deleted(after_deletions):
    _, run, truth = after_deletions
    found = len(truth["deleted_incident_ids"])
    assert found > 0
    assert f"{found} newly found deleted upstream" in run.stdout


def test_deleted_incidents_stay_in_fct_incidents_flagged(after_deletions):
    workspace, _, truth = after_deletions
    flagged = {
        r[0]
        for r in rows(workspace, "select incident_id from marts.fct_incidents where is_deleted")
    }
    assert flagged == set(truth["deleted_incident_ids"])
    alive = {
        r[0]
        for r in rows(workspace, "select incident_id from marts.fct_incidents where not is_deleted")
    }
    assert alive == {r["id"] for r in truth["incidents"]}


def test_daily_incident_counts_leave_deleted_incidents_out(after_deletions):
    workspace, _, truth = after_deletions
    expected = Counter(
        datetime.fromisoformat(r["attributes"]["started_at"].replace("Z", "+00:00")).date()
        for r in truth["incidents"]
        if r["attributes"]["kind"] in COUNTABLE and r["attributes"]["started_at"]
    )
    loaded = rows(
        workspace,
        "select date_day, sum(incidents_started) from marts.incident_metrics_daily group by 1",
    )
    assert {day: n for day, n in loaded if n} == dict(expected)


def test_the_ledger_records_the_deletions_found(after_deletions):
    workspace, _, truth = after_deletions
    (latest,) = rows(
        workspace,
        "select deletions from ops.elt_runs where status = 'success'"
        " order by started_at desc limit 1",
    )
    assert json.loads(latest[0])["newly_deleted"] == len(truth["deleted_incident_ids"])
