"""Served records validate against the reference OpenAPI subset (a third party's file).

The spec is read from ``../shared/reference/`` beside the checkout and never copied into the
project; where it is absent (a user's machine) the test skips.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests

from ingestion.demo_api import run_demo_api

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT.parent / "shared/reference/incident-api-openapi-subset.json"
REF_PREFIX = "#/components/schemas/"


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"reference spec not found at {SPEC_PATH} (only present beside CI checkouts)")
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))["schemas"]


def to_json_schema(node: Any, schemas: dict[str, Any], missing: set[str]) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema: inline ``$ref``s, turn ``nullable`` into null unions.

    Refs to schemas the subset does not include (e.g. service_response) become ``{}``.
    """
    if isinstance(node, list):
        return [to_json_schema(item, schemas, missing) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        name = node["$ref"].removeprefix(REF_PREFIX)
        if name not in schemas:
            missing.add(name)
            return {}
        return to_json_schema(schemas[name], schemas, missing)
    converted = {
        key: to_json_schema(value, schemas, missing)
        for key, value in node.items()
        if key not in ("nullable", "description", "example", "default")
    }
    if node.get("nullable"):
        if "enum" in converted:
            converted["enum"] = [*converted["enum"], None]
        return {"anyOf": [{"type": "null"}, converted]}
    return converted


def _list_schema(name: str, schemas: dict[str, Any]) -> dict[str, Any]:
    missing: set[str] = set()
    schema = to_json_schema(schemas[name], schemas, missing)
    schema["properties"]["data"]["items"]["properties"]["attributes"]["unevaluatedProperties"] = (
        True
    )
    return schema


@pytest.fixture(scope="module")
def served():
    with run_demo_api(seed=11, incidents=600, dashboards=60, in_process=True) as api:
        api.apply_changes(1)
        pages: dict[str, list[dict[str, Any]]] = {"incidents": [], "dashboards": []}
        with requests.Session() as s:
            s.headers.update(api.headers)
            for resource in pages:
                for number in range(1, 8):
                    response = s.get(
                        api.base_url + resource,
                        params={"page[size]": 100, "page[number]": number},
                        timeout=30,
                    )
                    pages[resource].append(response.json())
        yield pages


@pytest.mark.parametrize(
    ("resource", "schema_name"), [("incidents", "incident_list"), ("dashboards", "dashboard_list")]
)
def test_served_pages_validate_against_reference_schema(schemas, served, resource, schema_name):
    schema = _list_schema(schema_name, schemas)
    validator = jsonschema.Draft202012Validator(schema)
    checked = 0
    for page in served[resource]:
        errors = sorted(validator.iter_errors(page), key=lambda e: list(e.path))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
        checked += len(page["data"])
    assert checked > 0


def test_incident_attribute_names_exist_in_the_reference_schema(schemas, served):
    known = set(schemas["incident"]["properties"])
    served_names = {
        name for page in served["incidents"] for r in page["data"] for name in r["attributes"]
    }
    assert served_names <= known, served_names - known


def test_dashboard_attribute_names_exist_in_the_reference_schema(schemas, served):
    known = set(schemas["dashboard"]["properties"])
    served_names = {
        name for page in served["dashboards"] for r in page["data"] for name in r["attributes"]
    }
    assert served_names <= known, served_names - known


def test_severity_objects_validate_against_severity_response(schemas, served):
    schema = to_json_schema(schemas["severity_response"], schemas, set())
    validator = jsonschema.Draft202012Validator(schema)
    seen = 0
    for page in served["incidents"]:
        for record in page["data"]:
            severity = record["attributes"]["severity"]
            if severity is not None:
                validator.validate(severity)
                seen += 1
    assert seen > 0


def test_schema_check_has_teeth(schemas, served):
    """A retyped field (what the retype fault does) must fail the same validation."""
    page = json.loads(json.dumps(served["incidents"][0]))
    page["data"][0]["attributes"]["sequential_id"] = "1"
    validator = jsonschema.Draft202012Validator(_list_schema("incident_list", schemas))
    assert list(validator.iter_errors(page))
