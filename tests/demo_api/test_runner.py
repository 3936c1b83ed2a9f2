"""The subprocess server: ready line, token handling, clean teardown."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import psutil
import requests

from ingestion.demo_api import run_demo_api
from tests.workspace import REPO_ROOT


def test_subprocess_server_serves_and_is_gone_after_exit():
    before = set(psutil.Process().children(recursive=True))
    with run_demo_api(seed=1, incidents=30, dashboards=3) as api:
        assert api.base_url.startswith("http://127.0.0.1:") and api.base_url.endswith("/v1/")
        children = set(psutil.Process().children(recursive=True)) - before
        assert len(children) == 1
        child = children.pop()
        assert api.token not in " ".join(child.cmdline())
        response = requests.get(api.base_url + "incidents", headers=api.headers, timeout=10)
        assert response.json()["meta"]["total_count"] == 30
    assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE
    assert api.token not in repr(api)


def test_serve_prints_one_ready_line_and_exits_cleanly_on_sigterm():
    env = {**os.environ, "DEMO_API_TOKEN": "test-token-not-printed"}
    process = subprocess.Popen(
        [sys.executable, "-m", "ingestion.demo_api", "serve", "--port", "0", "--incidents", "5"],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("demo API listening on http://127.0.0.1:")
        assert line.rstrip().endswith("/v1/")
        base = line.split()[-1]
        response = requests.get(
            base + "dashboards",
            headers={"Authorization": "Bearer test-token-not-printed"},
            timeout=10,
        )
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert out == ""
    assert "test-token-not-printed" not in err


def test_in_process_server_has_the_same_interface():
    with run_demo_api(incidents=10, dashboards=2, in_process=True) as api:
        assert api.stats()["requests_total"] == 0
        requests.get(api.base_url + "incidents?page[size]=5", headers=api.headers, timeout=10)
        stats = api.stats()
        assert stats["requests_by_path"] == {"/v1/incidents": 1}
        assert stats["requests_by_status"] == {"200": 1}
        assert stats["pages_served"]["incidents"] == 1
        assert stats["incident_queries"] == ["page[size]=5"]
        assert api.reset_stats()["requests_total"] == 0
