"""The other list endpoints over HTTP: paging, the alerts' filters, sort and cursor, the
nested action items of an incident, change batches, and the generic faults and counters."""

from __future__ import annotations

from typing import Any

import pytest
import requests

from ingestion.demo_api import DemoAPI, ground_truth, run_demo_api
from ingestion.demo_api.catalogs import CATALOGS
from ingestion.demo_api.more import DELETED_KEYS, MORE_LISTS
from tests.demo_api.helpers import authed, fetch_all, fetch_all_by_cursor, get

SIZES = {"seed": 3, "incidents": 200, "dashboards": 5, "change_fraction": 0.05}


@pytest.fixture(scope="module")
def changed() -> Any:
    """A server after two change batches (deletions of every kind), and its session."""
    with run_demo_api(**SIZES, in_process=True) as api, authed(api) as session:
        report = api.apply_changes(2)
        yield api, session, report


@pytest.fixture(scope="module")
def truth(changed) -> dict[str, Any]:
    """The ground truth of the ``changed`` server (its tests change nothing)."""
    api, _, _ = changed
    return api.ground_truth()


@pytest.fixture
def small() -> Any:
    with run_demo_api(**SIZES, in_process=True) as api, authed(api) as session:
        yield api, session


def walk(api: DemoAPI, session: requests.Session, path: str, **params: Any) -> list[dict]:
    return fetch_all(session, api, path, **{"page[size]": 100, **params})


# -- paging -----------------------------------------------------------------------------------


@pytest.mark.parametrize("resource", [*MORE_LISTS, "severities"])
def test_walking_every_page_gives_the_ground_truth(changed, truth, resource):
    api, session, _ = changed
    assert walk(api, session, resource) == truth[resource]


def test_the_servers_ground_truth_is_the_offline_one(truth):
    assert ground_truth(**SIZES, batches=2) == truth


@pytest.mark.parametrize("resource", ["alerts", "action_items", "teams", "users"])
def test_meta_and_links_page_by_number(changed, truth, resource):
    api, session, _ = changed
    total = len(truth[resource])
    body = get(session, api, resource, **{"page[size]": 3, "page[number]": 2}).json()
    meta, links = body["meta"], body["links"]
    assert (meta["current_page"], meta["prev_page"], meta["next_page"]) == (2, 1, 3)
    assert meta["total_count"] == total
    assert meta["total_pages"] == -(-total // 3)
    assert links["self"].endswith(f"/v1/{resource}?page[number]=2&page[size]=3")
    assert ("next_cursor" in meta) == (resource == "alerts")


@pytest.mark.parametrize("resource", ["alerts", "post_mortems", "services", "alert_urgencies"])
@pytest.mark.parametrize("size", ["101", "0", "x"])
def test_bad_page_size_is_400(changed, resource, size):
    api, session, _ = changed
    response = get(session, api, resource, **{"page[size]": size})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "page[size]"}


# -- alerts: filter, sort, cursor -------------------------------------------------------------


@pytest.mark.parametrize("sort", ["updated_at", "-updated_at"])
def test_alerts_sort_by_updated_at_and_cursor_walk_matches(changed, truth, sort):
    api, session, _ = changed
    by_number = walk(api, session, "alerts", sort=sort)
    stamps = [(r["attributes"]["updated_at"]) for r in by_number]
    assert stamps == sorted(stamps, reverse=sort.startswith("-"))
    by_cursor = fetch_all_by_cursor(session, api, "alerts", **{"page[size]": 100, "sort": sort})
    assert by_cursor == by_number
    assert {r["id"] for r in by_number} == {r["id"] for r in truth["alerts"]}


def test_alerts_filter_on_updated_at_and_status(changed, truth):
    api, session, _ = changed
    alerts = truth["alerts"]
    bound = sorted(r["attributes"]["updated_at"] for r in alerts)[len(alerts) // 2]
    newer = walk(api, session, "alerts", **{"filter[updated_at][gt]": bound})
    assert {r["id"] for r in newer} == {
        r["id"] for r in alerts if r["attributes"]["updated_at"] > bound
    }
    at_most = walk(api, session, "alerts", **{"filter[updated_at][lte]": bound})
    assert len(at_most) + len(newer) == len(alerts)
    open_ones = walk(api, session, "alerts", **{"filter[status]": "triggered,acknowledged"})
    assert open_ones
    assert {r["attributes"]["status"] for r in open_ones} == {"triggered", "acknowledged"}


def test_alerts_reject_a_bad_filter_or_a_cursor_of_another_sort(changed):
    api, session, _ = changed
    response = get(session, api, "alerts", **{"filter[updated_at][gt]": "yesterday"})
    assert response.status_code == 400
    cursor = get(session, api, "alerts", sort="updated_at").json()["meta"]["next_cursor"]
    response = get(session, api, "alerts", sort="created_at", **{"page[after]": cursor})
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "page[after]"}


def test_incremental_alert_sync_sees_exactly_the_changed_alerts(small):
    api, session = small
    before = {r["id"]: r for r in api.ground_truth()["alerts"]}
    high_water = max(r["attributes"]["updated_at"] for r in before.values())
    api.apply_changes(1)
    delta = walk(
        api, session, "alerts", sort="updated_at", **{"filter[updated_at][gt]": high_water}
    )
    after = {r["id"]: r for r in api.ground_truth()["alerts"]}
    assert {r["id"] for r in delta} == {i for i in after if before.get(i) != after[i]}
    assert delta


def test_no_cursor_paging_fault_reaches_alerts(small):
    api, session = small
    api.set_faults(no_cursor_paging=True)
    assert "next_cursor" not in get(session, api, "alerts").json()["meta"]


# -- action items of one incident -------------------------------------------------------------


def test_an_incidents_action_items_are_its_share_of_all_action_items(changed, truth):
    api, session, _ = changed
    by_incident: dict[str, list[dict]] = {}
    for item in truth["action_items"]:
        by_incident.setdefault(item["relationships"]["incident"]["data"]["id"], []).append(item)
    busiest = max(by_incident, key=lambda i: len(by_incident[i]))
    path = f"incidents/{busiest}/action_items"
    body = get(session, api, path, **{"page[size]": 2}).json()
    assert body["meta"]["total_count"] == len(by_incident[busiest]) > 1
    assert body["links"]["next"].split("/v1/")[1].startswith(path + "?page[number]=2")
    assert walk(api, session, path) == by_incident[busiest]
    quiet = next(r["id"] for r in truth["incidents"] if r["id"] not in by_incident)
    empty = get(session, api, f"incidents/{quiet}/action_items").json()
    assert empty["data"] == []
    assert empty["meta"]["total_count"] == 0


@pytest.mark.parametrize("which", ["unknown", "deleted"])
def test_action_items_of_a_missing_incident_are_404(changed, truth, which):
    api, session, _ = changed
    missing = truth["deleted_incident_ids"][0] if which == "deleted" else "nope"
    response = get(session, api, f"incidents/{missing}/action_items")
    assert response.status_code == 404
    error = response.json()["errors"][0]
    assert error["status"] == "404"
    assert missing in error["detail"]


@pytest.mark.parametrize("path", ["incidents/x/action_items/1", "incidents//action_items", "nope"])
def test_other_paths_are_404(changed, path):
    api, session, _ = changed
    assert get(session, api, path).status_code == 404


# -- change batches ---------------------------------------------------------------------------


def test_change_batches_touch_every_resource(small):
    api, session = small
    before = api.ground_truth()
    high_water = max(
        r["attributes"]["updated_at"]
        for name in ("alerts", "action_items", "post_mortems")
        for r in before[name]
    )
    report = api.apply_changes(2)
    after = api.ground_truth()
    assert [b["batch"] for b in report["other_batches"]] == [1, 2]

    def by_id(truth, name):
        return {r["id"]: r for r in truth[name]}

    # alerts: new ones fire, open ones move on (updated_at advances), some resolve
    old, new = by_id(before, "alerts"), by_id(after, "alerts")
    assert set(new) > set(old)
    moved = [i for i in old if new[i] != old[i]]
    assert moved
    assert all(new[i]["attributes"]["updated_at"] > high_water for i in moved)
    assert any(
        old[i]["attributes"]["status"] != "resolved" == new[i]["attributes"]["status"]
        for i in moved
    )
    # action items: completed and filed
    old, new = by_id(before, "action_items"), by_id(after, "action_items")
    assert set(new) - set(old)
    completed = [
        i
        for i in set(old) & set(new)
        if new[i]["attributes"]["status"] == "done" != old[i]["attributes"]["status"]
    ]
    assert completed
    assert all(new[i]["attributes"]["updated_at"] > high_water for i in completed)
    # retrospectives: drafted and published
    old, new = by_id(before, "post_mortems"), by_id(after, "post_mortems")
    drafted = set(new) - set(old)
    assert drafted
    assert {new[i]["attributes"]["status"] for i in drafted} <= {"draft", "published"}
    assert any(
        old[i]["attributes"]["status"] == "draft" and new[i]["attributes"]["status"] == "published"
        for i in set(old) & set(new)
    )
    # catalogs: a rename (same id, new name, later updated_at), an addition, a deletion
    renamed = added = deleted = 0
    for name in CATALOGS:
        old, new = by_id(before, name), by_id(after, name)
        renamed += sum(
            new[i]["attributes"].get("name", new[i]["attributes"].get("full_name"))
            != old[i]["attributes"].get("name", old[i]["attributes"].get("full_name"))
            for i in set(old) & set(new)
        )
        added += len(set(new) - set(old))
        gone = set(old) - set(new)
        assert gone == set(after[DELETED_KEYS[name]])
        assert not gone & {r["id"] for r in walk(api, session, name)}
        deleted += len(gone)
    assert (renamed, added, deleted) == (2, 1, 1)


def test_persisted_batches_replay_to_the_same_data(tmp_path):
    with run_demo_api(**SIZES, state_dir=tmp_path, in_process=True) as api:
        api.apply_changes(2)
        served = api.ground_truth()
    with run_demo_api(state_dir=tmp_path, in_process=True) as api:
        assert api.ground_truth() == served


# -- faults, counters ------------------------------------------------------------------------


def test_page_faults_apply_to_the_new_endpoints(small):
    api, session = small
    api.set_faults(truncate_page=1, fault_resource="alerts")
    response = get(session, api, "alerts")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert get(session, api, "teams").json()["data"]  # other lists are untouched
    api.set_faults(always_429=True, fault_resource="users")
    assert get(session, api, "users").status_code == 429
    assert get(session, api, "services").status_code == 200
    api.set_faults(error_rate=1.0, error_status=503)
    assert get(session, api, "post_mortems").status_code == 503
    assert get(session, api, f"incidents/{_an_incident(api)}/action_items").status_code == 503


def _an_incident(api: DemoAPI) -> str:
    return api.ground_truth()["incidents"][0]["id"]


def test_record_faults_apply_to_the_new_endpoints(small):
    api, session = small
    api.set_faults(local_offsets=True, omit_null_attributes=True)
    alerts = get(session, api, "alerts", **{"page[size]": 100}).json()["data"]
    stamps = [r["attributes"]["created_at"] for r in alerts]
    assert any(not s.endswith("Z") for s in stamps)
    items = get(session, api, "action_items", **{"page[size]": 100}).json()["data"]
    assert all(v is not None for r in items for v in r["attributes"].values())
    api.set_faults(rename_field="summary=title", fault_resource="alerts")
    alert = get(session, api, "alerts").json()["data"][0]["attributes"]
    assert "title" in alert
    assert "summary" not in alert


def test_stats_count_pages_of_every_list(small):
    api, session = small
    for resource in ("alerts", "teams", "teams"):
        get(session, api, resource)
    pages = api.stats()["pages_served"]
    assert pages["by_resource"] == {"alerts": 1, "teams": 2}
    assert pages["total"] == 3
