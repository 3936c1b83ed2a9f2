"""Served pages of the other list endpoints (alerts, action items, retrospectives, catalogs)
validate against the project's contract everywhere, and against the vendor's current spec
where its file lies in ``../shared/reference/`` (never copied into the project; the tests
skip elsewhere). Like ``test_spec_contract.py``, only default responses are checked."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest

from ingestion.contract import CONTRACT
from ingestion.demo_api import run_demo_api
from tests.demo_api.helpers import authed
from tests.demo_api.test_spec_contract import (
    CURRENT_SPEC_PATH,
    problems,
    to_json_schema,
    validator,
)

#: list path -> (the contract's list envelope, the vendor's list schema)
LISTS = {
    "alerts": ("alert_list", "alert_list"),
    "action_items": ("action_item_list", "incident_action_item_list"),
    "post_mortems": ("post_mortem_list", "incident_post_mortem_list"),
    "teams": ("team_list", "team_list"),
    "services": ("service_list", "service_list"),
    "severities": ("severity_list", "severity_list"),
    "environments": ("environment_list", "environment_list"),
    "incident_types": ("incident_type_list", "incident_type_list"),
    "functionalities": ("functionality_list", "functionality_list"),
    "users": ("user_list", "user_list"),
    "alert_sources": ("alert_source_list", "alerts_source_list"),
    "alert_urgencies": ("alert_urgency_list", "alert_urgency_list"),
}
NESTED = "incident action_items"
ALERTS_BY_CURSOR = "alerts by cursor"
#: every kind of page served, and the list it is a page of
KINDS = {**{path: path for path in LISTS}, NESTED: "action_items", ALERTS_BY_CURSOR: "alerts"}


def attributes_def(name: str) -> str:
    """The `$defs` entry a list envelope names for its records' attributes."""
    ref = CONTRACT["$defs"][name]["properties"]["data"]["items"]["properties"]["attributes"]
    return ref["$ref"].removeprefix("#/$defs/")


@pytest.fixture(scope="module")
def served() -> dict[str, list[dict[str, Any]]]:
    """Up to three full pages of every list after a change batch, the action items of a few
    incidents, and alerts by cursor."""
    with (
        run_demo_api(seed=11, incidents=300, dashboards=5, in_process=True) as api,
        authed(api) as s,
    ):
        api.apply_changes(1)

        def body(path: str, **params: Any) -> dict[str, Any]:
            response = s.get(api.base_url + path, params={"page[size]": 100, **params}, timeout=30)
            assert response.status_code == 200, response.text
            return response.json()

        pages: dict[str, list[dict[str, Any]]] = {}
        for path in LISTS:
            pages[path] = [body(path)]
            while pages[path][-1]["meta"]["next_page"] and len(pages[path]) < 3:
                pages[path].append(body(path, **{"page[number]": len(pages[path]) + 1}))
        incidents = {
            item["relationships"]["incident"]["data"]["id"]
            for item in pages["action_items"][0]["data"][:20]
        }
        pages[NESTED] = [body(f"incidents/{i}/action_items") for i in sorted(incidents)[:5]]
        first = body("alerts", sort="-updated_at")
        after = {"sort": "-updated_at", "page[after]": first["meta"]["next_cursor"]}
        pages[ALERTS_BY_CURSOR] = [first, body("alerts", **after)]
        yield pages


def records(pages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [record for page in pages for record in page["data"]]


# -- everywhere: against the project's contract ----------------------------------------------


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_served_pages_validate_against_the_contract(served, kind):
    check = validator(LISTS[KINDS[kind]][0])
    for page in served[kind]:
        errors = problems(check, page)
        assert not errors
    assert records(served[kind])


@pytest.mark.parametrize("path", sorted(LISTS))
def test_served_attribute_names_are_known_to_the_contract(served, path):
    known = set(CONTRACT["$defs"][attributes_def(LISTS[path][0])]["properties"])
    names = {name for record in records(served[path]) for name in record["attributes"]}
    assert names <= known, names - known


@pytest.mark.parametrize("path", ["alerts", "action_items", "post_mortems"])
def test_records_name_their_incident_by_relationship(served, path):
    for record in records(served[path]):
        relationships = record["relationships"]
        linked = relationships.get("incident", {}).get("data") or relationships["incidents"]["data"]
        for link in linked if isinstance(linked, list) else [linked]:
            assert link["type"] == "incidents"
            assert link["id"]


def test_contract_check_has_teeth(served):
    """A wrong enum value, a retyped field, a wrong type or a missing required attribute."""
    cases = [
        ("alerts", "attributes", "status", "firing"),
        ("action_items", "attributes", "kind", "chore"),
        ("post_mortems", "attributes", "status", "final"),
        ("teams", None, "type", "teams"),  # teams are "groups" in this API
        ("users", "attributes", "email", None),
        ("alert_urgencies", "attributes", "position", "1"),
    ]
    for path, where, name, value in cases:
        page = copy.deepcopy(served[path][0])
        target = page["data"][0] if where is None else page["data"][0][where]
        target[name] = value
        assert problems(validator(LISTS[path][0]), page), (path, name)
    page = copy.deepcopy(served["alerts"][0])
    del page["data"][0]["attributes"]["short_id"]
    assert problems(validator("alert_list"), page)
    page["data"][0]["relationships"]["incidents"]["data"] = [{"id": "x", "type": "alerts"}]
    assert problems(validator("alert_list"), page)


# -- where the vendor's current spec is present ----------------------------------------------


@pytest.fixture(scope="module")
def current_schemas() -> dict[str, Any]:
    if not CURRENT_SPEC_PATH.exists():
        pytest.skip(f"current spec not found at {CURRENT_SPEC_PATH} (only beside CI checkouts)")
    return json.loads(CURRENT_SPEC_PATH.read_text(encoding="utf-8"))["components"]["schemas"]


def vendor_validator(schemas: dict[str, Any], name: str) -> jsonschema.Draft202012Validator:
    missing: set[str] = set()
    schema = to_json_schema(schemas[name], schemas, missing)
    assert not missing, missing
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_served_pages_validate_against_the_current_spec(current_schemas, served, kind):
    check = vendor_validator(current_schemas, LISTS[KINDS[kind]][1])
    for page in served[kind]:
        errors = problems(check, page)
        assert not errors


@pytest.mark.parametrize("path", sorted(LISTS))
def test_served_attribute_names_exist_in_the_current_spec(current_schemas, served, path):
    item = current_schemas[LISTS[path][1]]["properties"]["data"]["items"]
    (ref,) = item["properties"]["attributes"]["allOf"]
    known = set(current_schemas[ref["$ref"].rsplit("/", 1)[-1]]["properties"])
    names = {name for record in records(served[path]) for name in record["attributes"]}
    assert names <= known, names - known


def test_current_spec_check_has_teeth(current_schemas, served):
    page = copy.deepcopy(served["alerts"][0])
    page["data"][0]["attributes"]["noise"] = "loud"
    assert problems(vendor_validator(current_schemas, "alert_list"), page)
    page = copy.deepcopy(served["action_items"][0])
    page["data"][0]["attributes"]["priority"] = "urgent"
    assert problems(vendor_validator(current_schemas, "incident_action_item_list"), page)
