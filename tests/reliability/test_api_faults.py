"""API faults during extract: each run fails with one clear line and changes nothing.

Every case runs against the same warehouse (a first load, then an upstream change batch),
so there is new data the failed run must NOT half-load and that the clean rerun
(test_recovery.py, which runs after these faults) must pick up. Faults are injected by the
demo API (see `python -m ingestion.demo_api serve --help`).
The demo API's own rejection of a missing/malformed/wrong Authorization header is covered in
tests/demo_api/test_auth_ratelimit.py; the refusal to follow a `links.next` to another host
in tests/ingestion/test_http.py::test_the_token_is_never_sent_to_another_host.
"""

from __future__ import annotations

import pytest

from tests.reliability.checks import (
    assert_cursor_not_advanced,
    assert_marts_unchanged,
    assert_one_line_failure,
    assert_raw_unchanged,
)
from tests.reliability.scenarios import FAULT_CASES

# the shared scenario warehouse (conftest.py): one xdist worker runs all of its steps
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("reliability")]

CASES = list(FAULT_CASES)


@pytest.mark.parametrize("case", CASES)
def test_fault_fails_with_a_one_line_message(fault_runs, case):
    assert_one_line_failure(fault_runs[case].run, *FAULT_CASES[case]["expect"])


@pytest.mark.parametrize("case", CASES)
def test_fault_leaves_raw_rows_unchanged(fault_runs, case):
    assert_raw_unchanged(fault_runs[case])


@pytest.mark.parametrize("case", CASES)
def test_fault_leaves_the_published_marts_unchanged(fault_runs, case):
    assert_marts_unchanged(fault_runs[case])


@pytest.mark.parametrize("case", CASES)
def test_fault_does_not_advance_the_incremental_cursor(fault_runs, case):
    assert_cursor_not_advanced(fault_runs[case])


@pytest.mark.parametrize("case", CASES)
def test_fault_leaves_no_half_extracted_package(fault_runs, case):
    assert fault_runs[case].after.pending_packages == []


def test_every_failed_run_is_in_the_run_ledger(ws, fault_runs):
    failed = [r for r in ws.ledger() if r[0] == "failed"]
    assert len(failed) >= len(FAULT_CASES)
    assert all(error and "ELT failed" not in error for _, _, _, error in failed)
