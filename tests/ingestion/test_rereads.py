"""The lag window's re-reads: a record read again as it was loaded is not loaded again.

The filter on its own (with a plain dict for dlt's resource state), then the sync against
the demo API: a quiet hour loads nothing, yet every change and a full refresh still land.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ingestion.demo_api import run_demo_api
from ingestion.http import ApiSession
from ingestion.load import load, make_pipeline
from ingestion.rereads import PRUNE_AT, STATE_KEY, ReReads
from ingestion.source import analytics_api_source
from ingestion.summary import StepTimer
from tests.ingestion.test_sync import (
    assert_raw_equals_ground_truth,
    policy_for,
    query,
)

LAG = 300


def record(key: str, updated_at: str, title: str = "Checkout down") -> dict[str, Any]:
    return {
        "id": key,
        "type": "incidents",
        "attributes": {"updated_at": updated_at, "title": title},
    }


def at(second: int) -> str:
    return f"2026-06-30T00:{second // 60:02d}:{second % 60:02d}.000000Z"


class FakeState:
    """dlt's resource state as plain dicts, kept between runs like dlt keeps it."""

    def __init__(self) -> None:
        self.resources: dict[str, dict[str, Any]] = {}

    def __call__(self, resource: str) -> dict[str, Any]:
        return self.resources.setdefault(resource, {})


def passed(state: FakeState, records: list[dict[str, Any]]) -> list[str]:
    """One run of the filter over `records`: the ids it lets through."""
    keep = ReReads(LAG, state).unchanged_dropped("incidents")
    return [r["id"] for r in copy.deepcopy(records) if keep(r)]


def test_a_record_read_again_as_it_was_loaded_is_dropped():
    state = FakeState()
    records = [record("a", at(10)), record("b", at(20))]
    assert passed(state, records) == ["a", "b"]
    assert passed(state, records) == []


def test_a_record_changed_within_the_same_second_is_loaded():
    state = FakeState()
    passed(state, [record("a", at(10))])
    assert passed(state, [record("a", at(10), title="Checkout down in EU")]) == ["a"]


def test_a_record_updated_since_is_loaded():
    state = FakeState()
    passed(state, [record("a", at(10))])
    assert passed(state, [record("a", at(11))]) == ["a"]


def test_the_dropped_records_are_counted_per_resource():
    state = FakeState()
    passed(state, [record("a", at(10))])
    rereads = ReReads(LAG, state)
    keep = rereads.unchanged_dropped("incidents")
    keep(record("a", at(10)))
    assert rereads.dropped == {"incidents": 1}


def test_only_fingerprints_within_the_lag_of_the_newest_record_are_kept():
    state = FakeState()
    records = [record(f"r{i}", at(i)) for i in range(PRUNE_AT + 1)]  # one a second
    passed(state, records)
    kept = state("incidents")[STATE_KEY]
    newest = PRUNE_AT
    assert sorted(kept) == sorted(f"r{i}" for i in range(newest - LAG, newest + 1))


@pytest.fixture
def settings(settings):
    return settings.with_overrides(page_size=20)


@pytest.fixture
def api(tmp_path):
    with run_demo_api(
        seed=7, incidents=240, dashboards=30, state_dir=str(tmp_path / "demo")
    ) as api:
        yield api


def sync(settings, api, full_refresh: bool = False) -> tuple[dict[str, int], ReReads]:
    rereads = ReReads(settings.lag_seconds)
    session = ApiSession(api.base_url, policy_for(settings))
    source = analytics_api_source(settings, api.base_url, api.token, session, rereads=rereads)
    result = load(make_pipeline(settings), source, StepTimer(), full_refresh=full_refresh)
    return result.rows, rereads


def test_a_quiet_sync_loads_no_incident_or_alert_rows(settings, api):
    sync(settings, api)
    rows, rereads = sync(settings, api)
    assert rereads.dropped["incidents"] > 0  # the lag window was read again ...
    assert "incidents" not in rows and "alerts" not in rows  # ... and not loaded
    assert_raw_equals_ground_truth(settings, api)


def test_changes_after_a_quiet_sync_are_loaded(settings, api):
    sync(settings, api)
    sync(settings, api)
    api.apply_changes()
    rows, _ = sync(settings, api)
    assert rows["incidents"] > 0
    assert_raw_equals_ground_truth(settings, api)


def test_a_full_refresh_loads_every_incident_again(settings, api):
    sync(settings, api)
    sync(settings, api)
    sync(settings, api, full_refresh=True)
    assert_raw_equals_ground_truth(settings, api)
    (count,) = query(settings, "select count(*) from raw.incidents")[0]
    assert count == len(api.ground_truth()["incidents"])


def test_a_record_read_twice_in_a_run_keeps_the_later_versions_fingerprint():
    state = FakeState()
    passed(state, [record("a", at(5)), record("a", at(10), title="Resolved")])
    assert passed(state, [record("a", at(10), title="Resolved")]) == []
    assert passed(state, [record("a", at(5))]) == ["a"]


def test_two_versions_with_one_updated_at_in_a_run_leave_nothing_to_match():
    # the merge keeps either of them, so the next read of either must be loaded
    state = FakeState()
    passed(state, [record("a", at(10)), record("a", at(10), title="Resolved")])
    assert passed(state, [record("a", at(10))]) == ["a"]
    state = FakeState()
    passed(state, [record("a", at(10)), record("a", at(10), title="Resolved")])
    assert passed(state, [record("a", at(10), title="Resolved")]) == ["a"]
