"""A SIGKILL in the instant after dlt's normalize committed a package, before it cleaned up.

dlt's normalize renames `load/new/<id>` to `load/normalized/<id>` (atomic) and only then
deletes the source package `normalize/extracted/<id>`. A process killed between the two
leaves the same load id in both places. Here that state is built deterministically on a
warehouse that holds a first load: extract and normalize for real, then put back the
extracted package as the kill would have left it.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from ingestion.demo_api import run_demo_api
from tests.reliability.scenarios import workspace
from tests.workspace import REPO_ROOT

# one xdist worker runs this module, so its module fixture (whole ELT runs) runs once
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("crash_window")]

CRASH_STATE = textwrap.dedent(
    """
    import shutil
    from pathlib import Path

    from ingestion.api_endpoint import retry_policy
    from ingestion.http import ApiSession
    from ingestion.load import LOADER_FILE_FORMAT, make_pipeline
    from ingestion.settings import load_settings, read_api_key
    from ingestion.source import analytics_api_source

    settings = load_settings()
    pipeline = make_pipeline(settings)

    def source():
        session = ApiSession(settings.base_url, retry_policy(settings))
        return analytics_api_source(settings, settings.base_url, read_api_key(), session)

    # a warehouse with a first load in it: the run under test resumes it, not a new one
    pipeline.extract(source(), loader_file_format=LOADER_FILE_FORMAT)
    pipeline.normalize()
    pipeline.load()
    pipeline.extract(source(), loader_file_format=LOADER_FILE_FORMAT)
    extracted = Path(pipeline.working_dir) / "normalize" / "extracted"
    (load_id,) = [d.name for d in extracted.iterdir()]
    saved = Path(pipeline.working_dir).parent / "saved_package"
    shutil.copytree(extracted / load_id, saved)
    pipeline.normalize()
    assert not (extracted / load_id).exists(), "normalize kept the extracted package"
    shutil.copytree(saved, extracted / load_id)  # as a SIGKILL before the cleanup leaves it
    shutil.rmtree(saved)
    print(load_id)
    """
)


@pytest.fixture(scope="module")
def rerun_after_crash(tmp_path_factory):
    ws = workspace(tmp_path_factory.mktemp("crash_window"))
    with run_demo_api(seed=7, incidents=30, dashboards=3, in_process=True) as api:
        ws.use_api(api)
        made = subprocess.run(
            [sys.executable, "-c", CRASH_STATE],
            cwd=REPO_ROOT,
            env=ws.env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert made.returncode == 0, made.stderr[-3000:]
        return ws, ws.elt(), api.ground_truth()


def test_the_rerun_finishes_the_interrupted_package_before_extracting(rerun_after_crash):
    _, run, _ = rerun_after_crash
    assert run.returncode == 0, run.describe()
    (seconds,) = [line for line in run.stdout.splitlines() if line.strip().startswith("seconds")]
    assert "recover" in seconds, seconds  # the step that loads a package left behind


def test_a_rerun_after_a_kill_between_normalize_commit_and_cleanup_recovers(rerun_after_crash):
    ws, run, truth = rerun_after_crash
    assert run.returncode == 0, run.describe()
    loaded = {i for (i,) in ws.query("select id from raw.incidents")}
    assert loaded == {r["id"] for r in truth["incidents"]}
