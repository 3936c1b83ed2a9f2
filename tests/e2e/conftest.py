"""End-to-end fixtures: each test that changes a warehouse gets its own workspace."""

from __future__ import annotations

import pytest

from tests.workspace import Workspace

__all__ = ["Workspace"]


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace(tmp_path)
