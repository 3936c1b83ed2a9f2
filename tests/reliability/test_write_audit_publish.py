"""A dbt test fails on real data: nothing is published; after the fix the data converges.

The failing condition is a real upstream data problem, injected by the demo API: the change
batch arrives with `attributes.sequential_id` = null. The record check lets nulls through
(every column is nullable at load), dlt loads the rows, and the staging model's `not_null`
test on `sequential_id` fails in the `__build` schemas, so `publish` never runs.
"""

from __future__ import annotations

import pytest

from tests.reliability.checks import (
    assert_converged,
    assert_cursor_within_loaded_data,
    assert_marts_unchanged,
    assert_one_line_failure,
)

# the shared scenario warehouse (conftest.py): one xdist worker runs all of its steps
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("reliability")]

FAILING_TEST = "not_null_stg_analytics_api__incidents_sequential_id"


def test_a_failing_dbt_test_fails_the_run_naming_the_test_and_row_count(audit_failure):
    step = audit_failure
    bad = step.notes["null_sequential_ids_in_raw"]
    assert bad > 0
    assert_one_line_failure(step.run, FAILING_TEST, f"Got {bad} result")


def test_a_failing_dbt_test_leaves_the_last_good_marts_published(audit_failure):
    assert_marts_unchanged(audit_failure)


def test_a_failing_dbt_test_keeps_the_raw_rows_it_audited(audit_failure):
    """raw is not audited: it holds what the API sent, cursor and all, consistently."""
    after = audit_failure.after
    ids = [i for i, _ in after.incidents]
    assert len(ids) == len(set(ids))
    assert_cursor_within_loaded_data(after)


def test_a_plain_rerun_after_upstream_is_fixed_converges(rerun_after_audit_failure):
    step = rerun_after_audit_failure
    assert step.run.returncode == 0, step.run.describe()
    assert_converged(step)


def test_a_full_refresh_after_upstream_is_fixed_converges(full_refresh_after_audit_failure):
    step = full_refresh_after_audit_failure
    assert step.run.returncode == 0, step.run.describe()
    assert_converged(step)
