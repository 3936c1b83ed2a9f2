"""Change batches, their persistence in a state dir, and ground truth vs. what pages return."""

from __future__ import annotations

import json
import subprocess
import sys

import requests

from ingestion.demo_api import ground_truth, run_demo_api
from tests.demo_api.helpers import fetch_all
from tests.workspace import REPO_ROOT


def _all(api, resource):
    with requests.Session() as s:
        s.headers.update(api.headers)
        return fetch_all(s, api, resource, **{"page[size]": 100})


def test_change_batch_advances_updated_at_adds_incidents_and_deletes_dashboards(api):
    before = {r["id"]: r for r in _all(api, "incidents")}
    dashboards_before = {d["id"]: d for d in _all(api, "dashboards")}
    high_water = max(r["attributes"]["updated_at"] for r in before.values())
    summary = api.apply_changes(1)
    assert summary["batches_applied"] == 1
    batch = summary["batches"][0]

    after = {r["id"]: r for r in _all(api, "incidents")}
    new_ids = set(after) - set(before)
    assert len(new_ids) == batch["new_incidents"] >= 1
    # new incidents continue the sequential ids; a deleted one leaves a gap, not a shift
    new_seq = sorted(after[i]["attributes"]["sequential_id"] for i in new_ids)
    assert new_seq == list(range(len(before) + 1, len(before) + 1 + len(new_ids)))
    kept = [i for i in before if i in after]
    assert all(
        after[i]["attributes"]["sequential_id"] == before[i]["attributes"]["sequential_id"]
        for i in kept
    )
    changed = [i for i in kept if after[i] != before[i]]
    assert len(changed) == batch["updated_incidents"]
    assert all(after[i]["attributes"]["updated_at"] > high_water for i in changed)

    dashboards_after = {d["id"]: d for d in _all(api, "dashboards")}
    assert set(batch["deleted_dashboard_ids"]) == set(dashboards_before) - set(dashboards_after)
    for edited in batch["edited_dashboard_ids"]:
        assert dashboards_after[edited]["attributes"]["updated_at"] > high_water
        assert (
            dashboards_after[edited]["attributes"]["name"]
            != dashboards_before[edited]["attributes"]["name"]
        )


def test_incremental_filter_returns_exactly_the_changed_records(api):
    before = {r["id"]: r for r in _all(api, "incidents")}
    high_water = max(r["attributes"]["updated_at"] for r in before.values())
    api.apply_changes(1)
    with requests.Session() as s:
        s.headers.update(api.headers)
        delta = fetch_all(
            s,
            api,
            "incidents",
            **{"page[size]": 100, "sort": "updated_at", "filter[updated_at][gt]": high_water},
        )
    truth = {r["id"]: r for r in api.ground_truth()["incidents"]}
    assert {r["id"] for r in delta} == {i for i in truth if before.get(i) != truth[i]}


def test_ground_truth_equals_what_paging_returns_after_changes(api):
    api.apply_changes(2)
    truth = api.ground_truth()
    assert _all(api, "incidents") == truth["incidents"]
    assert _all(api, "dashboards") == truth["dashboards"]
    assert len(truth["deleted_dashboard_ids"]) == 2
    assert not set(truth["deleted_dashboard_ids"]) & {d["id"] for d in truth["dashboards"]}


def test_ground_truth_is_a_pure_function_of_seed_sizes_and_batches(api):
    api.apply_changes(2)
    served = api.ground_truth()
    offline = ground_truth(seed=42, incidents=500, dashboards=40, batches=2)
    assert served == offline


def test_state_dir_persists_changes_across_restart(tmp_path):
    with run_demo_api(
        seed=3, incidents=200, dashboards=20, state_dir=tmp_path, in_process=True
    ) as api:
        api.apply_changes(2)
        truth = api.ground_truth()
    state = json.loads((tmp_path / "state.json").read_text())
    assert state["batches_applied"] == 2 and state["seed"] == 3
    with run_demo_api(state_dir=tmp_path, in_process=True) as api:
        assert api.health()["batches_applied"] == 2
        assert _all(api, "incidents") == truth["incidents"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ingestion.demo_api", *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_cli_change_then_server_restart_picks_changes_up(tmp_path):
    report = json.loads(_cli("change", "--state-dir", str(tmp_path), "--count", "2").stdout)
    assert report["batches_applied"] == 2
    _cli("change", "--state-dir", str(tmp_path))
    with run_demo_api(state_dir=tmp_path) as api:  # subprocess server
        assert api.health()["batches_applied"] == 3
        served = _all(api, "incidents")
    assert served == ground_truth(state_dir=tmp_path)["incidents"]


def test_cli_ground_truth_writes_the_data_set(tmp_path):
    _cli("change", "--state-dir", str(tmp_path), "--incidents", "50", "--dashboards", "5")
    out = tmp_path / "truth.json"
    _cli("ground-truth", "--state-dir", str(tmp_path), "--output", str(out))
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == ground_truth(seed=42, incidents=50, dashboards=5, batches=1)
    # one incident added and one deleted by the batch
    assert len(written["incidents"]) == 50 and len(written["deleted_dashboard_ids"]) == 1
    assert len(written["deleted_incident_ids"]) == 1


def test_changed_parameters_restart_from_zero_batches(tmp_path):
    _cli("change", "--state-dir", str(tmp_path), "--incidents", "50")
    with run_demo_api(state_dir=tmp_path, incidents=60, in_process=True) as api:
        assert api.health()["batches_applied"] == 0


def test_change_batch_deletes_incidents_from_every_list_and_ground_truth_names_them():
    with run_demo_api(seed=8, incidents=400, change_fraction=0.1, in_process=True) as api:
        before = {r["id"]: r for r in _all(api, "incidents")}
        batch = api.apply_changes(1)["batches"][0]
        doomed = set(batch["deleted_incident_ids"])
        assert batch["deleted_incidents"] == len(doomed) == 4  # round(400 * 0.1 / 10)
        assert doomed <= set(before)
        truth = api.ground_truth()
        assert set(truth["deleted_incident_ids"]) == doomed
        assert not doomed & {r["id"] for r in truth["incidents"]}
        with requests.Session() as s:
            s.headers.update(api.headers)
            for params in ({}, {"sort": "-updated_at"}, {"sort": "created_at"}):
                listed = fetch_all(s, api, "incidents", **{"page[size]": 100, **params})
                assert not doomed & {r["id"] for r in listed}
                assert len(listed) == 400 + batch["new_incidents"] - 4
            statuses = ",".join({before[i]["attributes"]["status"] for i in doomed})
            filtered = fetch_all(s, api, "incidents", **{"filter[status]": statuses})
            assert not doomed & {r["id"] for r in filtered}
        # never one that the same batch updated or created
        after = {r["id"]: r for r in truth["incidents"]}
        changed = {i for i, r in before.items() if i not in doomed and r != after[i]}
        assert len(changed) == batch["updated_incidents"] and not changed & doomed


def test_replaying_batches_with_deletions_gives_the_same_data(tmp_path):
    with run_demo_api(
        seed=5, incidents=300, change_fraction=0.05, state_dir=tmp_path, in_process=True
    ) as api:
        api.apply_changes(1)
        api.apply_changes(2)
        served = api.ground_truth()
    assert len(served["deleted_incident_ids"]) == 6  # two per batch: round(300 * 0.05 / 10)
    with run_demo_api(state_dir=tmp_path, in_process=True) as api:
        assert api.ground_truth() == served
    offline = ground_truth(seed=5, incidents=300, change_fraction=0.05, batches=3)
    assert offline == served
