"""Generated data: determinism, lifecycle consistency and realistic variety."""

from __future__ import annotations

from collections import Counter

import pytest
import requests

from ingestion.demo_api import catalog, ground_truth, run_demo_api

TIMESTAMPS = (
    "created_at",
    "updated_at",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
)
ISO = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$"


@pytest.fixture(scope="module")
def incidents():
    return ground_truth(seed=7, incidents=2000, dashboards=100, batches=3)["incidents"]


def _body_without_host(api, resource, page):
    response = requests.get(
        api.base_url + resource,
        params={"page[size]": 50, "page[number]": page},
        headers=api.headers,
        timeout=10,
    )
    return response.content.replace(api.root_url.encode(), b"HOST")


def test_same_seed_serves_the_same_bytes():
    with run_demo_api(seed=5, in_process=True) as a, run_demo_api(seed=5, in_process=True) as b:
        for resource in ("incidents", "dashboards"):
            assert _body_without_host(a, resource, 2) == _body_without_host(b, resource, 2)


def test_different_seed_serves_different_data():
    with run_demo_api(seed=5, in_process=True) as a, run_demo_api(seed=6, in_process=True) as b:
        for resource in ("incidents", "dashboards"):
            assert _body_without_host(a, resource, 1) != _body_without_host(b, resource, 1)


def test_timestamps_are_iso_utc_with_milliseconds(incidents):
    import re

    for record in incidents:
        for field in TIMESTAMPS:
            value = record["attributes"][field]
            assert value is None or re.match(ISO, value), (field, value)


def test_lifecycle_order_and_status_consistency(incidents):
    for record in incidents:
        a = record["attributes"]
        chain = [
            a[f] for f in ("created_at", "started_at", "mitigated_at", "resolved_at", "closed_at")
        ]
        present = [t for t in chain if t is not None]
        assert present == sorted(present), a["sequential_id"]
        assert all(a["updated_at"] >= a[f] for f in TIMESTAMPS if a[f] is not None)
        for optional in ("detected_at", "acknowledged_at"):
            if a[optional] is not None:
                assert a["started_at"] <= a[optional]
                if a["resolved_at"] is not None:
                    assert a[optional] <= a["resolved_at"]
        status, kind = a["status"], a["kind"]
        if kind == "scheduled":
            assert status in ("scheduled", "in_progress", "completed")
            assert (a["started_at"] is None) == (status == "scheduled")
            assert (a["resolved_at"] is not None) == (status == "completed")
            continue
        assert status in ("in_triage", "started", "mitigated", "resolved", "closed", "cancelled")
        assert a["started_at"] is not None
        assert (a["closed_at"] is not None) == (status == "closed")
        assert (a["cancelled_at"] is not None) == (status == "cancelled")
        if status == "cancelled":
            assert a["resolved_at"] is None
        assert (a["resolved_at"] is not None) == (status in ("resolved", "closed"))
        if status in ("in_triage", "started"):
            assert a["mitigated_at"] is None


def test_detected_and_acknowledged_are_often_null(incidents):
    normal = [r["attributes"] for r in incidents if r["attributes"]["kind"] != "scheduled"]
    for field in ("detected_at", "acknowledged_at"):
        share = sum(a[field] is None for a in normal) / len(normal)
        assert 0.35 <= share <= 0.65, (field, share)


def test_kinds_statuses_and_severities_vary(incidents):
    kinds = Counter(r["attributes"]["kind"] for r in incidents)
    assert kinds.most_common(1)[0][0] == "normal"
    assert set(kinds) <= set(catalog.KINDS) and len(kinds) >= 6
    statuses = Counter(r["attributes"]["status"] for r in incidents)
    assert len(statuses) >= 5
    severities = [r["attributes"]["severity"] for r in incidents]
    null_share = severities.count(None) / len(severities)
    assert 0.01 <= null_share <= 0.1
    levels = {s["data"]["attributes"]["severity"] for s in severities if s}
    assert levels == {"critical", "high", "medium", "low"}


def test_resolution_time_depends_on_severity(incidents):
    from datetime import datetime
    from statistics import median

    def hours(a):
        start = datetime.fromisoformat(a["started_at"])
        return (datetime.fromisoformat(a["resolved_at"]) - start).total_seconds() / 3600

    by_level: dict[str, list[float]] = {}
    for r in incidents:
        a = r["attributes"]
        if a["severity"] and a["resolved_at"] and a["kind"] != "scheduled":
            by_level.setdefault(a["severity"]["data"]["attributes"]["severity"], []).append(
                hours(a)
            )
    assert median(by_level["critical"]) < median(by_level["medium"]) < median(by_level["low"])


def test_relationships_are_nested_jsonapi_with_shared_team_ids(incidents):
    team_ids = {str(t) for t in catalog.TEAM_IDS}
    empty_groups = 0
    for r in incidents:
        a = r["attributes"]
        for key, kind in (
            ("services", "services"),
            ("environments", "environments"),
            ("groups", "groups"),
        ):
            for item in a[key]:
                assert item["data"]["type"] == kind
                assert set(item["data"]["attributes"]) == {"name", "slug"}
        assert {g["data"]["id"] for g in a["groups"]} <= team_ids
        empty_groups += not a["groups"]
    assert empty_groups > 0


def test_text_has_unicode_long_summaries_nulls_and_empty_labels(incidents):
    attrs = [r["attributes"] for r in incidents]
    assert any(not a["title"].isascii() for a in attrs)
    assert any(a["summary"] and len(a["summary"].encode()) > 2000 for a in attrs)
    assert any(a["summary"] is None for a in attrs)
    assert any(a["labels"] is None for a in attrs)
    assert any(a["labels"] == {} for a in attrs)
    assert any(a["labels"] for a in attrs)
    assert all(a["slug"].isascii() and a["slug"] for a in attrs)
    assert len({r["id"] for r in incidents}) == len(incidents)


def test_dashboards_fields_and_team_ids():
    dashboards = ground_truth(seed=7, incidents=10, dashboards=200)["dashboards"]
    owners = Counter(d["attributes"]["owner"] for d in dashboards)
    assert set(owners) == {"user", "team"}
    for d in dashboards:
        a = d["attributes"]
        assert a["team_id"] in catalog.TEAM_IDS
        assert (a["user_id"] is None) == (a["owner"] == "team")
        assert a["color"] is None or a["color"] in catalog.DASHBOARD_COLORS
        assert a["created_at"] <= a["updated_at"]
    assert any(d["attributes"]["description"] is None for d in dashboards)
    assert any(not d["attributes"]["name"].isascii() for d in dashboards)
