"""The incidents, dashboards and severities the demo API served before the other resources
(alerts, action items, retrospectives, catalogs) were added are served byte for byte the same.

The new resources are drawn from RNG streams of their own, so adding them must not move a
single byte of the existing ones: the ELT tests compare against ground truth and the
benchmark compares numbers across versions. The digests below were recorded from the server
as it was before the new resources existed (same seeds, sizes, pages and change batches).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import requests

from ingestion.demo_api import DemoAPI, ground_truth, run_demo_api

#: (seed, incidents, dashboards, change_fraction) of each recorded data set
DATA_SETS = ((42, 500, 40, None), (7, 300, 25, 0.05))
#: pages requested at 0 and after 2 change batches: (resource, params)
PAGES: tuple[tuple[str, dict[str, Any]], ...] = (
    ("incidents", {}),
    ("incidents", {"page[size]": 100, "page[number]": 3}),
    ("incidents", {"page[size]": 50, "sort": "updated_at"}),
    ("incidents", {"page[size]": 25, "sort": "-updated_at", "filter[status]": "resolved"}),
    (
        "incidents",
        {"page[size]": 40, "sort": "created_at", "filter[updated_at][gte]": "2026-03-01"},
    ),
    ("dashboards", {"page[size]": 100}),
    ("dashboards", {"page[number]": 2}),
    ("severities", {}),
)
#: sha256 of the pages and of the ground truth, recorded before the new resources existed
RECORDED = {
    "pages": "494cb061fe411e952ccf774ab7c4dc712c6e1967135ff0e703c340c71dc47cf1",
    "truth": "bb22247fd04dbc37120c0ecb5124b60d7c2f9c7b088252a88c07ee72c1c167d7",
}


def _page_bytes(api: DemoAPI, session: requests.Session) -> list[bytes]:
    bodies = []
    for resource, params in PAGES:
        response = session.get(api.base_url + resource, params=params, timeout=30)
        assert response.status_code == 200, response.text
        bodies.append(response.content.replace(api.root_url.encode(), b"HOST"))
        # the second page by cursor, where there is one
        cursor = response.json()["meta"].get("next_cursor")
        if cursor:
            params = {**params, "page[after]": cursor}
            follow = session.get(api.base_url + resource, params=params, timeout=30)
            bodies.append(follow.content.replace(api.root_url.encode(), b"HOST"))
    return bodies


def _digest(parts: list[bytes]) -> str:
    hasher = hashlib.sha256()
    for part in parts:
        hasher.update(len(part).to_bytes(8, "big") + part)
    return hasher.hexdigest()


def served_digests() -> dict[str, str]:
    """Digests of the recorded pages and of the old ground-truth keys, per the module doc."""
    pages: list[bytes] = []
    truths: list[bytes] = []
    old_keys = ("incidents", "dashboards", "deleted_dashboard_ids", "deleted_incident_ids")
    for seed, incidents, dashboards, fraction in DATA_SETS:
        sizes = {"seed": seed, "incidents": incidents, "dashboards": dashboards}
        with (
            run_demo_api(**sizes, change_fraction=fraction, in_process=True) as api,
            requests.Session() as session,
        ):
            session.headers.update(api.headers)
            pages += _page_bytes(api, session)
            summaries = api.apply_changes(2)["batches"]
            pages.append(json.dumps(summaries, sort_keys=True).encode())
            pages += _page_bytes(api, session)
        truth = ground_truth(**sizes, change_fraction=fraction, batches=2)
        old = {key: truth[key] for key in old_keys}
        truths.append(json.dumps(old, sort_keys=True, ensure_ascii=False).encode())
    return {"pages": _digest(pages), "truth": _digest(truths)}


def test_incidents_dashboards_and_severities_are_served_as_before():
    assert served_digests() == RECORDED
