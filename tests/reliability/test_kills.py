"""SIGKILL (no cleanup possible) during extract, during normalize/load, and during dbt."""

from __future__ import annotations

import pytest

from tests.reliability.checks import (
    assert_cursor_not_advanced,
    assert_cursor_within_loaded_data,
    assert_marts_unchanged,
    assert_raw_unchanged,
)

# the shared scenario warehouse (conftest.py): one xdist worker runs all of its steps
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("reliability")]


def test_kill_during_extract_changes_nothing(concurrent_then_killed_in_extract):
    step = concurrent_then_killed_in_extract
    assert step.run.returncode == -9, step.run.describe()
    assert "Normalize" not in step.run.stdout, "killed after extract (dlt's progress says)"
    assert_raw_unchanged(step)
    assert_marts_unchanged(step)
    assert_cursor_not_advanced(step)


def test_kill_during_extract_leaves_no_package_to_load(concurrent_then_killed_in_extract):
    assert concurrent_then_killed_in_extract.after.pending_packages == []


def test_kill_during_load_keeps_raw_consistent(killed_in_load):
    step = killed_in_load
    assert step.notes["paused_before_load"], step.run.describe()
    assert step.run.returncode == -9, step.run.describe()
    after = step.after
    ids = [i for i, _ in after.incidents]
    assert len(ids) == len(set(ids))
    assert_raw_unchanged(step)


def test_kill_during_load_keeps_the_package_for_the_next_run(killed_in_load):
    """The normalized package that did not load stays; the next run loads it first."""
    assert killed_in_load.after.pending_packages


def test_kill_during_load_keeps_the_destination_cursor_within_loaded_data(killed_in_load):
    """The local state already holds the new cursor, with the package that carries the rows:
    the next run loads that package before anything else."""
    assert_cursor_within_loaded_data(killed_in_load.after, local=False)


def test_kill_during_load_leaves_the_published_marts_unchanged(killed_in_load):
    assert_marts_unchanged(killed_in_load)


def test_kill_during_dbt_leaves_the_published_marts_unchanged(killed_in_dbt):
    step = killed_in_dbt
    assert step.notes["alive_when_killed"], step.run.describe()
    assert_marts_unchanged(step)


def test_kill_during_dbt_keeps_the_loaded_raw_rows(killed_in_dbt):
    step = killed_in_dbt
    after = step.after
    ids = [i for i, _ in after.incidents]
    assert len(ids) == len(set(ids))
    # extract and load finished before dbt: the new upstream rows are in raw
    assert len(after.incidents) > len(step.before.incidents)
    assert_cursor_within_loaded_data(after)
    assert after.pending_packages == []
