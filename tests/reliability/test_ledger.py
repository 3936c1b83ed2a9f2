"""Every run that starts is one row of the run ledger (`ops.elt_runs`), exactly once:
runs refused by a busy warehouse or by another run, and a run killed on the way, too."""

from __future__ import annotations

import duckdb
import pytest

from ingestion.demo_api import run_demo_api
from tests.reliability.scenarios import DEMO, HEALTHY, kill_tree, wait_for, workspace

# one xdist worker runs this module, so its module fixture (whole ELT runs) runs once
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("ledger")]


@pytest.fixture(scope="module")
def ledger_after_five_runs(tmp_path_factory):
    """A success, a run refused by an open DuckDB file, a run refused by a running ELT,
    that ELT killed, and a last success that finds all of it."""
    ws = workspace(tmp_path_factory.mktemp("ledger"))
    started = 0
    with run_demo_api(state_dir=str(ws.root / "demo"), **DEMO) as api:
        ws.use_api(api)
        outcomes = []
        outcomes.append(ws.elt().returncode)
        started += 1

        holder = duckdb.connect(str(ws.duckdb_path))  # an analyst's open connection
        try:
            outcomes.append(ws.elt().returncode)
            started += 1
        finally:
            holder.close()

        api.set_faults(**HEALTHY, slow_ms=1500)  # a slow extract, to be refused beside
        api.reset_stats()
        first = ws.start(RUNTIME__REQUEST_TIMEOUT="30", SOURCES__ANALYTICS_API__PAGE_SIZE="1")
        started += 1
        try:
            assert wait_for(lambda: api.stats()["requests_total"] >= 1, 120, 0.1)
            outcomes.append(ws.elt().returncode)
            started += 1
        finally:
            kill_tree(first.pid)
            first.communicate(timeout=60)
            api.set_faults(**HEALTHY)

        outcomes.append(ws.elt().returncode)
        started += 1
    rows = ws.query("select status, error from ops.elt_runs order by started_at")
    return started, outcomes, rows


def test_every_run_that_started_has_exactly_one_row(ledger_after_five_runs):
    started, _, rows = ledger_after_five_runs
    assert len(rows) == started == 5


def test_refused_and_killed_runs_are_recorded_as_such(ledger_after_five_runs):
    _, outcomes, rows = ledger_after_five_runs
    assert outcomes == [0, 1, 1, 0]
    statuses = [status for status, _ in rows]
    assert statuses == ["success", "refused", "interrupted", "refused", "success"]


def test_a_refused_run_records_why(ledger_after_five_runs):
    _, _, rows = ledger_after_five_runs
    errors = [error for status, error in rows if status == "refused"]
    assert "locked by another process" in errors[0]
    assert "another `just elt`" in errors[1]
