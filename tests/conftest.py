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


# Session fixtures that cost a whole ELT or dbt build: every test that reads one runs on the
# same xdist worker, so the fixture is built once per session, not once per worker.
SHARED_FIXTURE_GROUPS = {
    "demo_elt": "demo_elt",
    "built_warehouse": "dbt_fixture_warehouse",
}


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep `@pytest.mark.xdist_group` tests on one worker under `--dist loadgroup`, and
    group the readers of each expensive session fixture (`SHARED_FIXTURE_GROUPS`).

    xdist tells its scheduler a test's group by appending `@<group>` to the node id on the
    worker, by assigning `item._nodeid`; pytest 9.2 keeps node ids structured (`item._id`)
    and ignores that, so every group is silently spread over the workers
    (pytest-dev/pytest-xdist#1386). Until xdist sets it itself, set it here (a no-op once
    the id carries the suffix).
    """
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        if not any(item.iter_markers("xdist_group")):
            for fixture, group in SHARED_FIXTURE_GROUPS.items():
                if fixture in getattr(item, "fixturenames", ()):
                    item.add_marker(pytest.mark.xdist_group(group))
                    break
    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix) and hasattr(item, "_id"):
            item._id = type(item._id).parse(item.nodeid + suffix)
