"""Fixtures shared across test folders, and `xdist_group` made to work on pytest 9.2."""

from __future__ import annotations

import subprocess

import pytest

from tests.workspace import DEMO_SIZE, Workspace


@pytest.fixture(scope="session")
def demo_elt(tmp_path_factory) -> tuple[Workspace, subprocess.CompletedProcess]:
    """One real `just elt` on the demo API, shared by every test that only reads its result."""
    workspace = Workspace(tmp_path_factory.mktemp("demo-elt"))
    return workspace, workspace.just("elt", **DEMO_SIZE)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep `@pytest.mark.xdist_group` tests on one worker under `--dist loadgroup`.

    xdist tells its scheduler a test's group by appending `@<group>` to the node id on the
    worker, by assigning `item._nodeid`; pytest 9.2 keeps node ids structured (`item._id`)
    and ignores that, so every group is silently spread over the workers
    (pytest-dev/pytest-xdist#1386). Until xdist sets it itself, set it here (a no-op once
    the id carries the suffix).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = type(item._id).parse(item.nodeid + suffix)
