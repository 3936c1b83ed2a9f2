"""The other resources' data (alerts, action items, retrospectives, catalogs), offline.

Consistency across resources (every id one record gives for another exists), realistic
proportions within broad bounds, lifecycle order, and that the data is a pure function of
(seed, sizes, change batches) however late it is built. Ground truth without a server.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import datetime

import pytest

from ingestion.demo_api import DataParams, Dataset, ground_truth
from ingestion.demo_api.catalogs import CATALOGS, SINGULAR
from ingestion.demo_api.more import DELETED_KEYS, MORE_LISTS
from ingestion.demo_api.timeutil import DATA_END_MS

INCIDENTS = 1000
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


def ms(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.fixture(scope="module")
def base():
    return ground_truth(seed=7, incidents=INCIDENTS, dashboards=30, batches=0)


@pytest.fixture(scope="module")
def changed():
    """After change batches with a high change fraction: deletions of every kind exist."""
    return ground_truth(seed=7, incidents=INCIDENTS, dashboards=30, change_fraction=0.05, batches=4)


def ids(records):
    return {r["id"] for r in records}


def incident_of(record):
    return record["relationships"]["incident"]["data"]["id"]


# -- shape of ground truth --------------------------------------------------------------------


def test_ground_truth_lists_every_resource_and_its_deletions(changed):
    old = ["incidents", "dashboards", "deleted_dashboard_ids", "deleted_incident_ids"]
    new = ["severities", *MORE_LISTS, *(DELETED_KEYS[r] for r in ("action_items", "post_mortems"))]
    new += [f"deleted_{SINGULAR[c]}_ids" for c in CATALOGS]
    assert list(changed) == old + new
    for resource, key in DELETED_KEYS.items():
        assert not set(changed[key]) & ids(changed[resource]), resource


# -- consistency ------------------------------------------------------------------------------


@pytest.mark.parametrize("truth_name", ["base", "changed"])
def test_every_reference_names_an_existing_record(request, truth_name):
    truth = request.getfixturevalue(truth_name)
    catalogs = {name: ids(truth[name]) for name in CATALOGS}
    users = catalogs["users"]
    incidents = ids(truth["incidents"])
    gone = set(truth["deleted_incident_ids"])
    for alert in truth["alerts"]:
        a = alert["attributes"]
        assert set(a["service_ids"]) <= catalogs["services"]
        assert set(a["group_ids"]) <= catalogs["teams"]
        assert set(a["environment_ids"]) <= catalogs["environments"]
        assert set(a["functionality_ids"]) <= catalogs["functionalities"]
        assert a["alert_urgency_id"] in catalogs["alert_urgencies"]
        assert [s["id"] for s in a["services"]] == a["service_ids"]
        assert {str(u["id"]) for u in a["responders"]} <= users
        # the incidents an alert became exist, or were deleted since
        linked = {i["id"] for i in alert["relationships"]["incidents"]["data"]}
        assert linked <= incidents | gone
    for item in truth["action_items"]:
        assert incident_of(item) in incidents
        a = item["attributes"]
        for user in (a["assigned_to"], a["created_by"]):
            assert user is None or str(user["id"]) in users
        assert set(a["assigned_to_group_ids"]) <= catalogs["teams"]
    for post_mortem in truth["post_mortems"]:
        assert incident_of(post_mortem) in incidents
    for team in truth["teams"]:
        assert {str(u) for u in team["attributes"]["user_ids"]} <= users
    for service in truth["services"]:
        a = service["attributes"]
        assert set(a["owner_group_ids"]) <= catalogs["teams"]
        assert {str(u) for u in a["owner_user_ids"]} <= users
        assert set(a["environment_ids"]) <= catalogs["environments"]
    for dashboard in truth["dashboards"]:
        a = dashboard["attributes"]
        assert str(a["team_id"]) in catalogs["teams"]
        assert a["user_id"] is None or str(a["user_id"]) in users


def test_teams_own_services_and_users_own_action_items(base):
    assert all(s["attributes"]["owner_group_ids"] for s in base["services"][:12])
    members = [u for t in base["teams"] for u in t["attributes"]["user_ids"]]
    assert len(members) == len(set(members)) == 200  # everyone in exactly one team
    assigned = [i["attributes"]["assigned_to"] for i in base["action_items"]]
    assert sum(a is not None for a in assigned) / len(assigned) > 0.7


def test_incidents_nest_the_catalogs_entries(base):
    """The services, environments, groups and severity an incident nests are catalog entries
    with the same id, type and (before any rename) name."""
    catalog = {
        (r["type"], r["id"]): r["attributes"]["name"]
        for name in ("services", "environments", "teams", "severities")
        for r in base[name]
    }
    seen = 0
    for incident in base["incidents"]:
        a = incident["attributes"]
        nested = [*a["services"], *a["environments"], *a["groups"]]
        nested += [a["severity"]] if a["severity"] else []
        for document in nested:
            data = document["data"]
            assert catalog[(data["type"], data["id"])] == data["attributes"]["name"]
            seen += 1
    assert seen > INCIDENTS


def test_deleting_an_incident_deletes_its_action_items_and_retrospective(changed):
    gone = set(changed["deleted_incident_ids"])
    assert gone
    assert changed["deleted_action_item_ids"]
    assert not {incident_of(r) for r in changed["action_items"]} & gone
    assert not {incident_of(r) for r in changed["post_mortems"]} & gone


def test_each_incident_has_at_most_one_retrospective(changed):
    counts = Counter(incident_of(r) for r in changed["post_mortems"])
    assert max(counts.values()) == 1


# -- proportions ------------------------------------------------------------------------------


def test_alert_proportions(base):
    alerts = base["alerts"]
    assert len(alerts) == 3 * INCIDENTS
    attached = sum(bool(r["relationships"]["incidents"]["data"]) for r in alerts) / len(alerts)
    assert 0.10 <= attached <= 0.20
    noise = Counter(r["attributes"]["noise"] for r in alerts)
    assert 0.15 <= noise["noise"] / len(alerts) <= 0.40
    assert noise[None] and noise["not_noise"]
    statuses = Counter(r["attributes"]["status"] for r in alerts)
    assert statuses["resolved"] / len(alerts) > 0.85
    assert set(statuses) == {"open", "triggered", "acknowledged", "resolved", "deferred"}
    for alert in alerts:
        a = alert["attributes"]
        assert (a["ended_at"] is not None) == (a["status"] == "resolved")
        assert a["started_at"] <= a["created_at"] <= a["updated_at"]
        if a["ended_at"]:
            assert a["started_at"] <= a["ended_at"] <= a["updated_at"]
        # an alert that became an incident is never noise
        if alert["relationships"]["incidents"]["data"]:
            assert a["noise"] != "noise"


def test_attached_alerts_fire_minutes_before_their_incident(base):
    created = {r["id"]: ms(r["attributes"]["created_at"]) for r in base["incidents"]}
    leads = [
        created[link["id"]] - ms(alert["attributes"]["created_at"])
        for alert in base["alerts"]
        for link in alert["relationships"]["incidents"]["data"]
    ]
    assert leads
    assert all(0 <= lead <= 20 * 60_000 for lead in leads)


def test_action_item_proportions(base):
    items = base["action_items"]
    assert 1.2 <= len(items) / INCIDENTS <= 1.9
    kinds = Counter(r["attributes"]["kind"] for r in items)
    assert kinds["follow_up"] > kinds["task"] > 0
    assert set(Counter(r["attributes"]["status"] for r in items)) == {
        "open",
        "in_progress",
        "cancelled",
        "done",
    }
    pending = [r for r in items if r["attributes"]["status"] in ("open", "in_progress")]
    due = [r for r in pending if r["attributes"]["due_date"]]
    overdue = [r for r in due if ms(r["attributes"]["due_date"] + "T00:00:00Z") < DATA_END_MS]
    assert len(overdue) / len(pending) >= 0.3  # follow-ups are often overdue
    for item in items:
        a = item["attributes"]
        assert a["created_at"] <= a["updated_at"]
        assert a["due_date"] is None or re.match(r"^\d{4}-\d{2}-\d{2}$", a["due_date"])


def test_retrospectives_exist_for_a_minority_and_follow_resolution_by_days(base):
    post_mortems = base["post_mortems"]
    assert 0.20 <= len(post_mortems) / INCIDENTS <= 0.35
    resolved = {
        r["id"]: ms(r["attributes"]["resolved_at"])
        for r in base["incidents"]
        if r["attributes"]["resolved_at"]
    }
    delays = [ms(r["attributes"]["created_at"]) - resolved[incident_of(r)] for r in post_mortems]
    assert min(delays) > 0
    assert statistics.median(delays) > 2 * 86_400_000
    statuses = Counter(r["attributes"]["status"] for r in post_mortems)
    assert statuses["published"] > statuses["draft"] > 0
    for post_mortem in post_mortems:
        a = post_mortem["attributes"]
        assert a["resolved_at"] == _incident(base, incident_of(post_mortem))["resolved_at"]
        assert a["created_at"] <= a["updated_at"]


def _incident(truth, record_id):
    return next(r["attributes"] for r in truth["incidents"] if r["id"] == record_id)


def test_catalog_sizes_are_tens_of_rows(base):
    sizes = {name: len(base[name]) for name in CATALOGS}
    assert all(4 <= size <= 30 for name, size in sizes.items() if name != "users"), sizes
    assert sizes["users"] == 204


@pytest.mark.parametrize("resource", [*MORE_LISTS, "severities"])
def test_timestamps_are_iso_utc_with_milliseconds(changed, resource):
    for record in changed[resource]:
        for name, value in record["attributes"].items():
            if name.endswith("_at") and value is not None:
                assert ISO.match(value), (resource, name, value)


# -- purity -----------------------------------------------------------------------------------


def test_built_late_or_early_the_data_is_the_same():
    """Built with the batches (replayed) or before them (applied one by one): same data."""
    params = DataParams(seed=5, incidents=300, dashboards=10, change_fraction=0.05)
    late = Dataset(params, 3)
    early = Dataset(params, 0)
    early.more  # noqa: B018 - build before the batches
    early.apply_changes(1)
    early.apply_changes(2)
    assert late.ground_truth() == early.ground_truth()
    assert late.more.summaries == early.more.summaries


def test_catalog_ids_do_not_depend_on_the_seed():
    one = ground_truth(seed=1, incidents=20, dashboards=2)
    two = ground_truth(seed=2, incidents=20, dashboards=2)
    for name in CATALOGS:
        assert one[name] == two[name], name
    assert one["alerts"] != two["alerts"]
