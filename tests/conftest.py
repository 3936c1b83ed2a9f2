"""Fixtures shared across test folders."""

from __future__ import annotations

import subprocess

import pytest

from tests.workspace import DEMO_SIZE, Workspace


@pytest.fixture(scope="session")
def demo_elt(tmp_path_factory) -> tuple[Workspace, subprocess.CompletedProcess]:
    """One real `just elt` on the demo API, shared by every test that only reads its result."""
    workspace = Workspace(tmp_path_factory.mktemp("demo-elt"))
    return workspace, workspace.just("elt", **DEMO_SIZE)
