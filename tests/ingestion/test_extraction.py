"""The extract runs in a child process: its report comes back, its failure comes back as
one line, and it neither outlives nor hangs the run (`ingestion.extraction`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time

import psutil
import pytest

from ingestion.demo_api import run_demo_api
from ingestion.errors import ExtractError, explain
from ingestion.extraction import extract_in_child
from ingestion.load import make_pipeline
from ingestion.run_options import RunOptions
from ingestion.settings import REPO_ROOT

SLOW = {"slow_ms": 1500}  # every response 1.5 s late: the extract is still running when killed


def extract_children(pid: int) -> list[psutil.Process]:
    """The spawned extract processes of `pid` (not multiprocessing's resource tracker)."""
    return [c for c in psutil.Process(pid).children() if "spawn_main" in " ".join(c.cmdline())]


def extracting_children(pid: int, api) -> list[psutil.Process]:
    """Wait until `pid` has an extract child and the API has seen its first request."""
    deadline = time.monotonic() + 60
    children: list[psutil.Process] = []
    while time.monotonic() < deadline and not (children and api.stats()["requests_total"]):
        children = extract_children(pid)
        time.sleep(0.05)
    assert children, "no extract child appeared"
    return children


@pytest.fixture
def api(tmp_path):
    with run_demo_api(incidents=60, dashboards=6, state_dir=str(tmp_path / "demo")) as api:
        yield api


@pytest.fixture
def api_settings(settings, api, monkeypatch):
    """Settings pointed at the demo API; the token where the child reads it, dlt's secrets."""
    monkeypatch.setenv("API_KEY", api.token)
    return settings.with_overrides(base_url=api.base_url, page_size=20)


def test_the_child_reports_what_it_extracted_and_leaves_the_package_to_the_parent(api_settings):
    extracted = extract_in_child(api_settings, RunOptions(), [])
    assert extracted.base_url == api_settings.base_url
    assert extracted.pages["incidents"] >= 3, extracted.pages  # 60 incidents, 20 a page
    assert extracted.deletions["checked"] is True  # the first run lists every incident
    assert "dashboards" in extracted.scan.resources
    # a pipeline object made afterwards sees the package and schema the child committed
    pipeline = make_pipeline(api_settings)
    assert pipeline.list_extracted_load_packages()
    assert "incidents" in pipeline.default_schema.tables


def test_a_failed_extract_comes_back_as_its_one_line_explanation(api_settings, monkeypatch):
    monkeypatch.setenv("API_KEY", "not-the-token")
    with pytest.raises(ExtractError) as raised:
        extract_in_child(api_settings, RunOptions(), [])
    message = explain(raised.value)
    assert "401" in message or "token" in message.lower(), message
    assert "not-the-token" not in message
    assert "\n" not in message and "Traceback" not in message


def test_a_child_killed_mid_extract_is_reported_not_awaited(api_settings, api):
    api.set_faults(**SLOW)
    killed = threading.Event()

    def kill_the_child() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed.is_set():
            children = extract_children(os.getpid())
            if children and api.stats()["requests_total"] >= 1:
                children[0].send_signal(signal.SIGKILL)
                killed.set()
                return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_the_child)
    killer.start()
    with pytest.raises(ExtractError, match=r"ended without a result \(exit code -9"):
        extract_in_child(api_settings, RunOptions(), [])
    killer.join()
    assert killed.is_set()
    assert make_pipeline(api_settings).list_extracted_load_packages() == []


def test_the_child_dies_with_its_parent(api_settings, api, tmp_path):
    """A run SIGKILLed mid-extract leaves no orphan extracting into its folder."""
    api.set_faults(**SLOW)
    script = textwrap.dedent(
        f"""
        from ingestion.extraction import extract_in_child
        from ingestion.run_options import RunOptions
        from ingestion.settings import load_settings

        settings = load_settings().with_overrides(
            base_url={api_settings.base_url!r},
            page_size=20,
            duckdb_path={api_settings.duckdb_path!r},
            pipelines_dir={str(tmp_path / "pipelines")!r},
        )
        if __name__ == "__main__":
            extract_in_child(settings, RunOptions(), [])
        """
    )
    (tmp_path / "run_extract.py").write_text(script)
    parent = subprocess.Popen(
        [sys.executable, str(tmp_path / "run_extract.py")],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        children = extracting_children(parent.pid, api)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        _, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, "the extract child outlived its SIGKILLed parent"
    finally:
        if parent.poll() is None:
            parent.kill()


def test_ctrl_c_mid_extract_stops_both_processes_with_one_line(api_settings, api, tmp_path):
    """Ctrl-C reaches the run and its extract child (one process group): the run says it
    was interrupted, in one line, and no child goes on extracting."""
    api.set_faults(**SLOW)
    env = {
        **os.environ,
        "SOURCES__ANALYTICS_API__BASE_URL": api.base_url,
        "DESTINATION__DUCKDB__CREDENTIALS": str(tmp_path / "warehouse.duckdb"),
        "ELT__PIPELINES_DIR": str(tmp_path / "pipelines"),
    }
    run = subprocess.Popen(
        [sys.executable, "-m", "cli", "elt"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        children = extracting_children(run.pid, api)
        os.killpg(run.pid, signal.SIGINT)
        _, stderr = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 130, stderr
    assert stderr.strip().splitlines() == [
        "ELT interrupted: nothing half-loaded is published; rerun to finish"
    ]
    _, alive = psutil.wait_procs(children, timeout=10)
    assert not alive
