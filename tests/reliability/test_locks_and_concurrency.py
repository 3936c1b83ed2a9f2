"""The warehouse held by another process, and two `just elt` at once."""

from __future__ import annotations

import pytest

from tests.reliability.checks import (
    assert_cursor_not_advanced,
    assert_marts_unchanged,
    assert_one_line_failure,
    assert_raw_unchanged,
)

# the shared scenario warehouse (conftest.py): one xdist worker runs all of its steps
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("reliability")]


def test_a_held_warehouse_fails_at_once_naming_the_cause(lock_runs):
    run = lock_runs["held_no_wait"].run
    assert_one_line_failure(run, "locked by another process", "close it and rerun")


def test_a_held_warehouse_message_offers_lock_wait_seconds(lock_runs):
    assert "ELT__LOCK_WAIT_SECONDS" in lock_runs["held_no_wait"].run.stderr


def test_a_held_warehouse_changes_nothing(lock_runs):
    step = lock_runs["held_no_wait"]
    assert_raw_unchanged(step)
    assert_marts_unchanged(step)
    assert_cursor_not_advanced(step)


def test_lock_wait_seconds_waits_for_the_holder_and_then_proceeds(lock_runs):
    run = lock_runs["held_then_released"].run
    # the holder let go after 3 s; the run waited, got the warehouse and went on to the API
    # (a wrong token stops it there, which proves it got past the lock)
    assert run.seconds >= 3.0
    assert_one_line_failure(run, "rejected the token")
    assert "locked" not in run.stderr


def test_lock_wait_seconds_is_a_bound(lock_runs):
    run = lock_runs["held_beyond_wait"].run
    assert_one_line_failure(run, "locked by another process")
    assert 2.0 <= run.seconds < 60


def test_a_second_just_elt_is_refused_while_one_runs(concurrent_then_killed_in_extract):
    step = concurrent_then_killed_in_extract
    assert step.notes["in_extract"], "the first run never reached the API"
    assert_one_line_failure(step.notes["second"])
    assert step.notes["first_alive_when_second_finished"], "the refusal stopped the first run"


def test_the_refusal_says_another_elt_runs_and_names_its_pid(concurrent_then_killed_in_extract):
    step = concurrent_then_killed_in_extract
    second = step.notes["second"]
    assert_one_line_failure(second, "another `just elt` (pid", "is running", "wait for it")
    pid = int(second.stderr.split("(pid ", 1)[1].split(")", 1)[0])
    assert pid == step.notes["pid"]
