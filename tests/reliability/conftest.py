"""Reliability fixtures: thin wrappers around the scenario steps in `scenarios.py`.

The steps share ONE workspace and ONE demo API (started here, with the session's unique
token, so faults can be switched between runs and the token searched for afterwards). Each
fixture below is one step; a step runs the steps it needs itself, so a test asks only for
the fixture it reads. The tests that use these fixtures carry
`pytest.mark.xdist_group("reliability")`, so under `--dist loadgroup` one worker runs the
whole sequence once.
"""

from __future__ import annotations

import pytest

from ingestion.demo_api import DemoAPI, run_demo_api
from tests.reliability import scenarios
from tests.reliability.scenarios import DEMO, TOKEN, Step
from tests.workspace import Workspace


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> DemoAPI:
    state_dir = tmp_path_factory.mktemp("reliability_demo_api")
    with run_demo_api(state_dir=str(state_dir), token=TOKEN, **DEMO) as api:
        yield api


@pytest.fixture(scope="session")
def reliability(request, tmp_path_factory, demo) -> tuple[Workspace, DemoAPI]:
    """The shared warehouse and its demo API; the steps this session will ask for, planned."""
    ws = scenarios.workspace(tmp_path_factory.mktemp("reliability")).use_api(demo)
    scenarios.plan(ws, {name for item in request.session.items for name in item.fixturenames})
    return ws, demo


@pytest.fixture(scope="session")
def ws(reliability) -> Workspace:
    return reliability[0]


@pytest.fixture(scope="session")
def fault_runs(reliability) -> dict[str, Step]:
    return scenarios.fault_runs(*reliability)


@pytest.fixture(scope="session")
def lock_runs(reliability) -> dict[str, Step]:
    return scenarios.lock_runs(*reliability)


@pytest.fixture(scope="session")
def concurrent_then_killed_in_extract(reliability) -> Step:
    return scenarios.concurrent_then_killed_in_extract(*reliability)


@pytest.fixture(scope="session")
def killed_in_load(reliability) -> Step:
    return scenarios.killed_in_load(*reliability)


@pytest.fixture(scope="session")
def killed_in_dbt(reliability) -> Step:
    return scenarios.killed_in_dbt(*reliability)


@pytest.fixture(scope="session")
def converged(reliability) -> Step:
    return scenarios.converged(*reliability)


@pytest.fixture(scope="session")
def idempotent_rerun(reliability) -> Step:
    return scenarios.idempotent_rerun(*reliability)


@pytest.fixture(scope="session")
def full_refresh(reliability) -> Step:
    return scenarios.full_refresh(*reliability)


@pytest.fixture(scope="session")
def partial_under_faults(reliability) -> Step:
    return scenarios.partial_under_faults(*reliability)


@pytest.fixture(scope="session")
def audit_failure(reliability) -> Step:
    return scenarios.audit_failure(*reliability)


@pytest.fixture(scope="session")
def rerun_after_audit_failure(reliability) -> Step:
    return scenarios.rerun_after_audit_failure(*reliability)


@pytest.fixture(scope="session")
def full_refresh_after_audit_failure(reliability) -> Step:
    return scenarios.full_refresh_after_audit_failure(*reliability)
