"""Smoke tests of `just bench`: the floor client loads exactly what the API has, and the
arithmetic behind PASS/MISS is right. No timing is asserted: timings depend on the machine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.elt import EltRun
from bench.floor import count_rows, pipeline_endpoints, run_floor
from bench.measure import (
    INGEST_VS_FLOOR,
    RATE_SHARE,
    Target,
    TreePeak,
    TreeSampler,
    allowed_rate_share,
    allowed_requests,
    incremental_request_target,
    median,
    median_of_dicts,
    ratio,
)
from bench.report import request_rows
from bench.scenarios import repeated, requests_per_resource
from ingestion.demo_api import run_demo_api
from ingestion.settings import load_settings
from ingestion.source import resources
from tests.workspace import REPO_ROOT


def test_floor_loads_every_record_the_api_reports(tmp_path: Path) -> None:
    with run_demo_api(seed=7, incidents=230, dashboards=12, in_process=True) as api:
        result = run_floor(api.base_url, api.token, tmp_path / "floor.duckdb", page_size=100)
        served = api.stats()["pages_served"]["by_resource"]
        truth = api.ground_truth()
    names = [resource["name"] for resource in resources(load_settings())]
    assert list(result.total_count) == names  # every resource the pipeline reads
    for table, total in result.total_count.items():
        assert total == len(truth[table]) > 0, table
        assert count_rows(tmp_path / "floor.duckdb", table) == total
        assert result.pages[table] == served[table] == -(-total // 100), table
    assert (result.total_count["incidents"], result.total_count["alerts"]) == (230, 690)


def test_the_floor_sends_the_pipelines_first_sync_queries() -> None:
    settings = load_settings()
    endpoints = pipeline_endpoints(settings)
    for name in ("incidents", "alerts"):
        assert endpoints[name].params == {
            "sort": "updated_at",
            "filter[updated_at][gte]": "2000-01-01T00:00:00.000000Z",
        }
        assert "labels" in endpoints[name].json_attributes  # free-form: JSON, as in dlt
    assert endpoints["teams"].path == "teams"
    assert endpoints["action_items"].params == {}


def test_requests_per_resource_pair_the_pipeline_with_the_floor() -> None:
    run = EltRun("full", True, 1.0, TreePeak())
    run.requests = {
        "incidents": {"requests": 4, "retries": 1, "rate_limited": 1},
        "alerts": {"requests": 7, "retries": 0, "rate_limited": 0},
    }
    figures = requests_per_resource(run, {"incidents": 3, "alerts": 7, "teams": 1})
    assert figures["incidents"] == {"pipeline": 4, "retries": 1, "rate_limited": 1, "floor": 3}
    assert figures["teams"] == {"pipeline": None, "retries": None, "rate_limited": None, "floor": 1}
    rows = request_rows([{"scale": "small", "requests": figures}])
    text = {row[0].strip(): row[1] for row in rows[1:]}
    assert text["incidents"] == "4 / 3 (1 retried, 1 x 429)"
    assert text["alerts"] == "7 / 7"
    assert text["teams"] == "- / 1"
    assert text["total"] == "11 / 11"
    assert text["minutes at the default 3,000 req/min"] == "0.00"


def test_median_skips_missing_values() -> None:
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, None, 2.0]) == 3.0
    assert median([None]) is None
    assert median([]) is None
    assert median_of_dicts([{"a": 1.0, "b": 5.0}, {"a": 3.0}]) == {"a": 2.0, "b": 5.0}


def test_ratio_is_none_without_a_divisor() -> None:
    assert ratio(3.0, 2.0) == 1.5
    assert ratio(None, 2.0) is None
    assert ratio(1.0, 0.0) is None
    assert ratio(1.0, None) is None


@pytest.mark.parametrize(
    ("target", "value", "verdict"),
    [
        (INGEST_VS_FLOOR, 1.5, "PASS"),
        (INGEST_VS_FLOOR, 1.51, "MISS"),
        (INGEST_VS_FLOOR, None, "n/a"),
        (RATE_SHARE, 0.9, "PASS"),
        (RATE_SHARE, 0.89, "MISS"),
        (Target(">=", 1, "x"), float("nan"), "n/a"),
    ],
)
def test_target_verdicts(target: Target, value: float | None, verdict: str) -> None:
    assert target.verdict(value) == verdict


def test_incremental_request_target_rounds_pages_up() -> None:
    assert incremental_request_target(0, 100) == 3
    assert incremental_request_target(1, 100) == 4
    assert incremental_request_target(100, 100) == 4
    assert incremental_request_target(1_050, 100) == 14


def test_allowed_requests_counts_the_first_window_up_front() -> None:
    assert allowed_requests(50, 10.0, 0.0) == 50
    assert allowed_requests(50, 10.0, 30.0) == 200


BURSTS_EVERY_10S = [10.0 * (i // 50) for i in range(201)]  # 50 requests, then wait a window


def test_rate_share_is_one_for_a_client_that_reuses_every_slot_at_once() -> None:
    assert allowed_rate_share(BURSTS_EVERY_10S, 50, 10.0) == 1.0


def test_rate_share_does_not_depend_on_the_request_count() -> None:
    assert allowed_rate_share(BURSTS_EVERY_10S[:120], 50, 10.0) == 1.0


def test_rate_share_drops_by_the_time_a_client_leaves_slots_free() -> None:
    late = [11.0 * (i // 50) for i in range(201)]  # one idle second per window
    assert allowed_rate_share(late, 50, 10.0) == pytest.approx(10 / 11)


def test_rate_share_is_none_when_the_limit_never_bound() -> None:
    assert allowed_rate_share(BURSTS_EVERY_10S[:50], 50, 10.0) is None


def test_repeated_runs_three_times_only_when_fast_and_unset() -> None:
    def calls(seconds: float, repeat: int | None) -> int:
        return len(repeated(lambda i: i, lambda _: seconds, repeat))

    assert calls(5.0, None) == 3
    assert calls(120.0, None) == 1
    assert calls(120.0, 2) == 2
    assert calls(5.0, 1) == 1


def test_tree_sampler_sees_children(tmp_path: Path) -> None:
    child = "import time; x = bytearray(64 * 1024 * 1024); time.sleep(1.5)"
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {child!r}])"
    proc = subprocess.Popen([sys.executable, "-c", parent])
    with TreeSampler(proc.pid, interval=0.05) as sampler:
        proc.wait()
    assert sampler.peak.samples > 0
    assert sampler.peak.pipeline_mib >= 64
    assert sampler.peak.demo_api_mib == 0


@pytest.mark.bench
def test_bench_quick_writes_results(tmp_path: Path) -> None:
    """The whole command at the smallest scale (real ELT + dbt, twice: 2-3 minutes)."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench",
            "--quick",
            "--skip-rate-limited",
            "--output",
            str(tmp_path),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    results = json.loads((tmp_path / "latest.json").read_text())
    small = results["full_load"][0]
    assert small["scale"] == "small"
    assert small["floor"]["complete"]
    assert small["rows"]["incidents"] == 500 and small["rows"]["dashboards"] == 40
    assert small["records"] >= sum(small["floor"]["total_count"].values())
    # the full load of every resource, request by request against the floor's
    names = [resource["name"] for resource in resources(load_settings())]
    assert set(small["requests"]) == set(names)
    for name in names:
        figures = small["requests"][name]
        assert figures["pipeline"] >= figures["floor"] >= 1, name
    assert "Full load requests per resource" in out.stdout
    assert "  alerts" in out.stdout
    assert {c["verdict"] for c in results["checks"]} <= {"PASS", "MISS", "n/a"}
    # a second run with nothing changed upstream reads the API and skips dbt
    assert set(results["unchanged"]["builds"]) == {"no changes"}
    assert results["unchanged"]["requests"] >= len(names)
    assert "dbt" not in results["unchanged"]["seconds"]
    assert "Nothing changed (after small full load)" in out.stdout
