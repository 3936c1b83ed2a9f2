"""End-to-end fixtures: each test that changes a warehouse gets its own workspace."""

from __future__ import annotations

import pytest

from ingestion.demo_api import ground_truth
from tests.workspace import Workspace

__all__ = ["Workspace"]


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path)


@pytest.fixture(scope="module")
def demo_run(demo_elt) -> Workspace:
    """The session's one demo ELT (shared with every module that only reads it), which must
    have succeeded."""
    workspace, result = demo_elt
    assert result.returncode == 0, result.stderr
    return workspace


@pytest.fixture(scope="module")
def demo_truth(demo_run) -> dict:
    """What the demo API behind that run serves (its ground truth, computed from its state)."""
    return ground_truth(state_dir=demo_run.demo_state_dir)
