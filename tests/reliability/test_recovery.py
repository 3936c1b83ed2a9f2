"""After every failure above, a clean rerun converges; reruns are idempotent."""

from __future__ import annotations

import pytest

from tests.reliability.checks import assert_converged

# the shared scenario warehouse (conftest.py): one xdist worker runs all of its steps
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("reliability")]


def test_the_clean_rerun_succeeds(converged):
    assert converged.run.returncode == 0, converged.run.describe()
    assert "ELT finished" in converged.run.stdout


def test_the_clean_rerun_converges_to_the_api_ground_truth(converged):
    assert_converged(converged)


def test_the_clean_rerun_published_a_new_build(converged):
    assert converged.after.marts_full != converged.before.marts_full


def test_the_clean_rerun_after_a_killed_build_rebuilt_everything(converged):
    # the killed build may have rewritten any part of the __build schemas
    expected = "everything: a run since the last build failed or was killed"
    assert expected in converged.run.stdout, converged.run.describe()


def test_a_rerun_without_upstream_changes_leaves_every_mart_identical(idempotent_rerun):
    step = idempotent_rerun
    assert step.run.returncode == 0, step.run.describe()
    assert step.after.marts == step.before.marts
    assert_converged(step)


def test_a_rerun_without_upstream_changes_adds_no_dashboard_versions(idempotent_rerun):
    assert idempotent_rerun.after.dashboards == idempotent_rerun.before.dashboards


def test_full_refresh_converges(full_refresh):
    assert full_refresh.run.returncode == 0, full_refresh.run.describe()
    assert_converged(full_refresh)


# Marts that keep, flagged, the catalog entries and follow-ups deleted upstream: a full
# refresh cannot load those, so they hold fewer rows after it by design.
DELETED_RECORD_HISTORY = {"dim_teams", "dim_services", "dim_users", "fct_follow_ups"}


def test_full_refresh_builds_the_same_marts_as_the_incremental_path(full_refresh):
    """Compared without lineage columns (load ids, scd2 validity times), which name loads,
    over the incidents the API still has (a full refresh cannot load deleted ones)."""
    after = {k: v for k, v in full_refresh.after.marts.items() if k not in DELETED_RECORD_HISTORY}
    before = {k: v for k, v in full_refresh.before.marts.items() if k not in DELETED_RECORD_HISTORY}
    assert after == before


def test_full_refresh_builds_the_same_incident_marts_as_the_incremental_path(full_refresh):
    """Everything but the dashboard-history marts is identical."""
    history = {"dim_dashboards", *DELETED_RECORD_HISTORY}
    after = {k: v for k, v in full_refresh.after.marts.items() if k not in history}
    before = {k: v for k, v in full_refresh.before.marts.items() if k not in history}
    assert after == before


def test_a_change_read_through_transient_faults_succeeds_with_a_partial_build(
    partial_under_faults,
):
    step = partial_under_faults
    assert step.run.returncode == 0, step.run.describe()
    assert "(only downstream of" in step.run.stdout, step.run.describe()


def test_a_partial_build_under_transient_faults_converges_to_the_ground_truth(
    partial_under_faults,
):
    assert_converged(partial_under_faults)


def test_a_partial_build_under_transient_faults_publishes_what_a_full_rebuild_would(
    partial_under_faults,
):
    assert partial_under_faults.notes["rebuild_differences"] == {}
