"""Data that changes while a client pages (``churn_per_page``): keyset vs offset paging."""

from __future__ import annotations

from typing import Any

import requests

from ingestion.demo_api import DataParams, Dataset, ground_truth, run_demo_api
from ingestion.demo_api.timeutil import batch_time_ms, iso_ms
from tests.demo_api.helpers import fetch_all, get

WALK = {"page[size]": 20, "sort": "updated_at"}


def _walk_by_cursor(session, api) -> list[dict[str, Any]]:
    seen, cursor = [], None
    while True:
        params = WALK if cursor is None else {**WALK, "page[after]": cursor}
        body = get(session, api, "incidents", **params).json()
        seen += body["data"]
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return seen


def _walk_by_number(session, api) -> list[dict[str, Any]]:
    seen, number = [], 1
    while number is not None:
        body = get(session, api, "incidents", **WALK, **{"page[number]": number}).json()
        seen += body["data"]
        number = body["meta"]["next_page"]
    return seen


def test_cursor_walk_under_churn_sees_every_incident_and_every_update(api, session):
    before = {r["id"]: r for r in api.ground_truth()["incidents"]}
    api.set_faults(churn_per_page=1)
    seen = _walk_by_cursor(session, api)
    after = {r["id"]: r for r in api.ground_truth()["incidents"]}
    assert set(before) <= {r["id"] for r in seen}
    last_seen = {r["id"]: r for r in seen}  # later versions overwrite earlier ones
    changed = [i for i in after if after[i] != before.get(i)]
    assert len(changed) >= 20
    # only the one update made after the final page can have escaped the reader
    missed = [i for i in changed if last_seen[i] != after[i]]
    assert len(missed) <= 1
    assert len(seen) > len(before)  # updated records were seen again, at the end


def test_offset_walk_under_churn_skips_incidents(api, session):
    before = {r["id"] for r in api.ground_truth()["incidents"]}
    api.set_faults(churn_per_page=1)
    seen = {r["id"] for r in _walk_by_number(session, api)}
    assert len(before - seen) >= 3  # each update behind the reader shifts one record past it


def test_churn_is_visible_in_ground_truth_and_health(api, session):
    before = api.ground_truth()["incidents"]
    high_water = max(r["attributes"]["updated_at"] for r in before)
    api.set_faults(churn_per_page=2.5, churn_delete_share=0.4)
    for _ in range(4):
        assert get(session, api, "incidents").status_code == 200
    health = api.health()
    assert health["live_updates"] + health["live_deletes"] == 10
    assert health["live_deletes"] >= 1 and health["live_updates"] >= 1
    truth = api.ground_truth()
    deleted = set(truth["deleted_incident_ids"])
    assert len(deleted) == health["live_deletes"]
    assert not deleted & {r["id"] for r in truth["incidents"]}
    assert len(truth["incidents"]) == 500 - len(deleted) == health["incidents"]
    moved = [r for r in truth["incidents"] if r["attributes"]["updated_at"] > high_water]
    assert 1 <= len(moved) <= health["live_updates"]


def test_lists_match_ground_truth_after_churn_in_every_order(api, session):
    api.set_faults(churn_per_page=3, churn_delete_share=0.3)
    for _ in range(10):
        get(session, api, "incidents", **{"sort": "updated_at"})
    api.set_faults()  # stop churning, then compare every order with the truth
    truth = api.ground_truth()["incidents"]
    for sort, field in (("updated_at", "updated_at"), ("-created_at", "created_at")):
        got = fetch_all(session, api, "incidents", **{"page[size]": 100, "sort": sort})
        expected = sorted(
            truth,
            key=lambda r: (r["attributes"][field], r["attributes"]["sequential_id"]),
            reverse=sort.startswith("-"),
        )
        assert [r["id"] for r in got] == [r["id"] for r in expected]
    assert fetch_all(session, api, "incidents", **{"page[size]": 100}) == truth
    status = fetch_all(session, api, "incidents", **{"page[size]": 100, "filter[status]": "closed"})
    assert status == [r for r in truth if r["attributes"]["status"] == "closed"]


def test_churn_fractions_accumulate_across_pages(api, session):
    api.set_faults(churn_per_page=0.25)
    for _ in range(7):
        get(session, api, "incidents")
    assert api.health()["live_updates"] == 1
    get(session, api, "incidents")
    assert api.health()["live_updates"] == 2


def test_churn_is_deterministic_from_the_seed():
    truths = []
    for _ in range(2):
        with run_demo_api(seed=9, incidents=300, in_process=True) as api:
            api.set_faults(churn_per_page=2, churn_delete_share=0.5)
            with requests.Session() as s:
                s.headers.update(api.headers)
                for number in range(1, 6):
                    get(s, api, "incidents", **{"page[number]": number})
            truths.append(api.ground_truth())
    assert truths[0] == truths[1]
    assert truths[0]["deleted_incident_ids"]


def test_live_updates_are_not_persisted(tmp_path):
    with run_demo_api(seed=4, incidents=100, state_dir=tmp_path, in_process=True) as api:
        api.set_faults(churn_per_page=5)
        with requests.Session() as s:
            s.headers.update(api.headers)
            get(s, api, "incidents")
        assert api.health()["live_updates"] == 5
    with run_demo_api(state_dir=tmp_path, in_process=True) as api:
        assert api.health()["live_updates"] == 0
        assert api.ground_truth() == ground_truth(seed=4, incidents=100, batches=0)


def test_change_batch_after_live_updates_keeps_updated_at_rising(api, session):
    api.set_faults(churn_per_page=50)
    get(session, api, "incidents")
    live_high = max(r["attributes"]["updated_at"] for r in api.ground_truth()["incidents"])
    api.apply_changes(1)
    truth = api.ground_truth()["incidents"]
    assert max(r["attributes"]["updated_at"] for r in truth) > live_high


# -- alerts: churn_per_page with fault_resource=alerts --------------------------------------

ALERT_WALK = {"page[size]": 50, "sort": "updated_at"}


def _alerts_by_id(api) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in api.ground_truth()["alerts"]}


def test_alert_churn_changes_alerts_after_each_alerts_page_and_leaves_incidents(api, session):
    incidents = api.ground_truth()["incidents"]
    before = _alerts_by_id(api)
    api.set_faults(churn_per_page=2, fault_resource="alerts")
    get(session, api, "incidents")  # not the churned list: nothing changes
    assert api.health()["live_alert_updates"] == 0
    for number in (1, 2, 3):
        get(session, api, "alerts", **ALERT_WALK, **{"page[number]": number})
    health = api.health()
    assert (health["live_alert_updates"], health["live_updates"]) == (6, 0)
    after = _alerts_by_id(api)
    assert after.keys() == before.keys()  # alerts are never deleted
    moved = [i for i in after if after[i] != before[i]]
    assert 1 <= len(moved) <= 6
    high_water = max(r["attributes"]["updated_at"] for r in before.values())
    assert all(after[i]["attributes"]["updated_at"] > high_water for i in moved)
    assert api.ground_truth()["incidents"] == incidents


def test_alert_lists_match_ground_truth_after_alert_churn(api, session):
    api.set_faults(churn_per_page=3, fault_resource="alerts")
    for number in range(1, 6):
        get(session, api, "alerts", **ALERT_WALK, **{"page[number]": number})
    api.set_faults()
    truth = api.ground_truth()["alerts"]
    got = fetch_all(session, api, "alerts", **{"page[size]": 100, "sort": "updated_at"})
    expected = sorted(truth, key=lambda r: r["attributes"]["updated_at"])
    assert [r["attributes"]["updated_at"] for r in got] == [
        r["attributes"]["updated_at"] for r in expected
    ]
    assert {r["id"] for r in got} == {r["id"] for r in truth}


def test_a_change_batch_after_live_alert_updates_keeps_alert_updated_at_rising():
    dataset = Dataset(DataParams(seed=42, incidents=200))
    # enough live updates (about 0.5 s apart) to run past the next batch's fixed hour
    dataset.apply_live_alert_updates(40_000)
    table = dataset.more.alerts
    live_high = max(table.updated)
    assert live_high > batch_time_ms(1)
    (summary,) = dataset.apply_changes(1)
    batch = dataset.more.summaries[summary.batch]["alerts"]
    assert batch["updated"] and batch["created"]
    rendered = {r["id"]: r for r in dataset.more.iter_records("alerts")}
    for alert in batch["updated"] + batch["created"]:
        assert rendered[alert]["attributes"]["updated_at"] > iso_ms(live_high)
