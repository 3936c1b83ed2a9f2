"""Served responses validate against the project's contract and the vendor's OpenAPI files.

Everywhere, pages, records, severities, ``meta``/``links`` and rate-limit headers are
validated against the project's own contract (``ingestion/api_contract.json``). Where the
vendor's specs lie in ``../shared/reference/`` beside the checkout (never copied into the
project) the same responses are also validated against them; elsewhere those tests skip.
Records are checked against the older subset, whose field shapes the demo data follows; the
paging envelope (``meta`` with ``next_cursor``, ``links``) against the vendor's current spec.
``tests/ingestion/test_contract.py`` holds the contract against the vendor's files. Only
default responses are checked: the omit_meta/omit_links faults are non-conforming on purpose.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import requests

from ingestion.contract import KNOWN_ATTRIBUTES, schema
from ingestion.demo_api import run_demo_api
from ingestion.demo_api.ratelimit import HEADER_DIALECTS
from tests.demo_api.helpers import responses_past_the_limit
from tests.workspace import REPO_ROOT

SPEC_PATH = REPO_ROOT.parent / "shared/reference/incident-api-openapi-subset.json"
CURRENT_SPEC_PATH = REPO_ROOT.parent / "shared/reference/incident-api-more-openapi-subset.json"
REF_PREFIX = "#/components/schemas/"
LISTS = [("incidents", "incident_list"), ("dashboards", "dashboard_list")]


def validator(name: str) -> jsonschema.Draft202012Validator:
    """A validator for one ``$defs`` entry of the project's contract."""
    return jsonschema.Draft202012Validator(schema(name))


def problems(check: jsonschema.Draft202012Validator, instance: Any) -> list[str]:
    """The first few validation errors, each with its path (empty when valid)."""
    errors = sorted(check.iter_errors(instance), key=lambda e: list(e.path))
    return [f"{list(e.path)}: {e.message}" for e in errors[:5]]


@pytest.fixture(scope="module")
def schemas() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"reference spec not found at {SPEC_PATH} (only present beside CI checkouts)")
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))["schemas"]


@pytest.fixture(scope="module")
def current_schemas() -> dict[str, Any]:
    if not CURRENT_SPEC_PATH.exists():
        pytest.skip(f"current spec not found at {CURRENT_SPEC_PATH} (only beside CI checkouts)")
    return json.loads(CURRENT_SPEC_PATH.read_text(encoding="utf-8"))["components"]["schemas"]


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
    converted = to_json_schema(schemas[name], schemas, missing)
    item = converted["properties"]["data"]["items"]
    item["properties"]["attributes"]["unevaluatedProperties"] = True
    return converted


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


# -- records, everywhere: against the project's contract -------------------------------------------


@pytest.mark.parametrize(("resource", "schema_name"), LISTS)
def test_served_pages_validate_against_the_contract(served, resource, schema_name):
    check = validator(schema_name)
    checked = 0
    for page in served[resource]:
        errors = problems(check, page)
        assert not errors
        checked += len(page["data"])
    assert checked > 0


@pytest.mark.parametrize("resource", ["incidents", "dashboards"])
def test_served_attribute_names_are_known_to_the_contract(served, resource):
    served_names = {
        name for page in served[resource] for r in page["data"] for name in r["attributes"]
    }
    assert served_names <= KNOWN_ATTRIBUTES[resource], served_names - KNOWN_ATTRIBUTES[resource]


def test_severity_objects_validate_against_the_contract(served):
    check = validator("severity")
    severities = [
        record["attributes"]["severity"]
        for page in served["incidents"]
        for record in page["data"]
        if record["attributes"].get("severity") is not None
    ]
    assert severities
    for severity in severities:
        errors = problems(check, severity)
        assert not errors


def test_contract_check_has_teeth(served):
    """A retyped field (what the retype fault does) or a wrong enum value must fail."""
    page = json.loads(json.dumps(served["incidents"][0]))
    page["data"][0]["attributes"]["sequential_id"] = "1"
    assert problems(validator("incident_list"), page)
    page = json.loads(json.dumps(served["dashboards"][0]))
    page["data"][0]["attributes"]["owner"] = "nobody"
    assert problems(validator("dashboard_list"), page)
    page["data"][0]["attributes"]["owner"] = "team"
    page["data"][0]["type"] = "incidents"
    assert problems(validator("dashboard_list"), page)


# -- records, where the vendor's file is present ---------------------------------------------------


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


# -- the paging envelope, everywhere: against the project's contract -------------------------------


@pytest.fixture(scope="module")
def envelopes():
    """Default list responses in every paging mode: by number, by cursor, first and last."""
    with (
        run_demo_api(seed=11, incidents=250, dashboards=30, in_process=True) as api,
        requests.Session() as s,
    ):
        api.apply_changes(1)
        s.headers.update(api.headers)

        def body(resource: str, **params: Any) -> dict[str, Any]:
            return s.get(api.base_url + resource, params=params, timeout=30).json()

        first = body("incidents", **{"page[size]": 100, "sort": "-updated_at"})
        cursor = first["meta"]["next_cursor"]
        second = body(
            "incidents", **{"page[size]": 100, "sort": "-updated_at", "page[after]": cursor}
        )
        last = body(
            "incidents",
            **{
                "page[size]": 100,
                "sort": "-updated_at",
                "page[after]": second["meta"]["next_cursor"],
            },
        )
        yield {
            "incidents by number": [first, body("incidents", **{"page[number]": 13})],
            "incidents by cursor": [second, last],
            "dashboards": [body("dashboards"), body("dashboards", **{"page[number]": 2})],
        }


def test_cursor_walk_reaches_a_last_page_with_null_cursor(envelopes):
    assert envelopes["incidents by cursor"][-1]["meta"]["next_cursor"] is None


@pytest.mark.parametrize("mode", ["incidents by number", "incidents by cursor", "dashboards"])
def test_default_meta_and_links_validate_against_the_contract(envelopes, mode):
    meta, links = validator("meta"), validator("links")
    for page in envelopes[mode]:
        errors = [*problems(meta, page["meta"]), *problems(links, page["links"])]
        assert not errors


@pytest.mark.parametrize(
    ("mode", "schema_name"),
    [
        ("incidents by number", "incident_list"),
        ("incidents by cursor", "incident_list"),
        ("dashboards", "dashboard_list"),
    ],
)
def test_default_pages_in_every_paging_mode_validate_against_the_contract(
    envelopes, mode, schema_name
):
    check = validator(schema_name)
    for page in envelopes[mode]:
        errors = problems(check, page)
        assert not errors


def test_contract_meta_check_has_teeth(envelopes):
    """A page without total_pages (the omit_meta fault) must fail the same validation."""
    page = json.loads(json.dumps(envelopes["incidents by number"][0]))
    del page["meta"]["total_pages"]
    assert problems(validator("meta"), page["meta"])
    assert problems(validator("incident_list"), page)
    del page["meta"]
    assert problems(validator("incident_list"), page)


# -- meta and links, where the vendor's current spec is present ------------------------------------


@pytest.mark.parametrize("mode", ["incidents by number", "incidents by cursor", "dashboards"])
def test_default_meta_and_links_validate_against_the_current_spec(current_schemas, envelopes, mode):
    meta = jsonschema.Draft202012Validator(to_json_schema(current_schemas["meta"], {}, set()))
    links = jsonschema.Draft202012Validator(to_json_schema(current_schemas["links"], {}, set()))
    for page in envelopes[mode]:
        errors = [*meta.iter_errors(page["meta"]), *links.iter_errors(page["links"])]
        assert not errors, [e.message for e in errors[:5]]


def test_dashboard_pages_validate_against_the_current_spec(current_schemas, envelopes):
    missing: set[str] = set()
    schema = to_json_schema(current_schemas["dashboard_list"], current_schemas, missing)
    validator = jsonschema.Draft202012Validator(schema)
    for page in envelopes["dashboards"]:
        errors = list(validator.iter_errors(page))
        assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


def test_current_spec_meta_check_has_teeth(current_schemas, envelopes):
    """A page without total_pages (the omit_meta fault) must fail the same validation."""
    meta = dict(envelopes["incidents by number"][0]["meta"])
    del meta["total_pages"]
    validator = jsonschema.Draft202012Validator(to_json_schema(current_schemas["meta"], {}, set()))
    assert list(validator.iter_errors(meta))


# -- rate-limit headers, everywhere: against the project's contract --------------------------------


def lowered(response: requests.Response) -> dict[str, str]:
    return {name.lower(): value for name, value in response.headers.items()}


#: the headers each dialect must send (the contract allows any of them; the demo sends these)
DIALECT_HEADERS = {
    "ietf": {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"},
    "ietf-delta": {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"},
    "x": {"x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-used", "x-ratelimit-reset"},
    "none": set(),
}


@pytest.mark.parametrize("dialect", HEADER_DIALECTS)
def test_rate_limit_headers_of_every_dialect_validate_against_the_contract(dialect):
    """An allowed response and a 429 (with Retry-After) in each dialect the demo API speaks."""
    assert set(DIALECT_HEADERS) == set(HEADER_DIALECTS)
    responses = responses_past_the_limit(
        dialect, seed=3, incidents=20, dashboards=5, retry_after=True
    )
    assert [r.status_code for r in responses] == [200, 200, 429]
    check = validator("rate_limit_headers")
    for response in responses:
        headers = lowered(response)
        errors = problems(check, headers)
        assert not errors, headers
        sent = {name for name in headers if "ratelimit" in name}
        assert sent == DIALECT_HEADERS[dialect]
    assert "retry-after" in lowered(responses[-1])


@pytest.mark.parametrize(
    "headers",
    [
        {"ratelimit-limit": "3000", "ratelimit-remaining": "0", "ratelimit-reset": "1800000012"},
        {"ratelimit-reset": "30"},
        {"x-ratelimit-limit": "1000, 1000;window=3600", "x-ratelimit-used": "2"},
        {"x-ratelimit-limit": '"1000, 1000;window=3600"', "x-ratelimit-reset": "1800000040"},
        {"x-ratelimit-limit": "60", "x-ratelimit-remaining": "7"},
        {"retry-after": "7"},
        {"retry-after": "Fri, 15 Jan 2027 08:00:30 GMT"},
        {"content-type": "application/json"},
    ],
)
def test_the_rate_limit_contract_accepts_every_documented_form(headers):
    errors = problems(validator("rate_limit_headers"), headers)
    assert not errors


@pytest.mark.parametrize(
    "headers",
    [
        {"ratelimit-limit": "many"},
        {"ratelimit-remaining": "-1"},
        {"ratelimit-reset": "2027-01-15T08:00:30Z"},
        {"x-ratelimit-limit": "1000;window=an hour"},
        {"x-ratelimit-used": "2.5"},
        {"x-ratelimit-reset": "soon"},
        {"retry-after": "Friday"},
        {"retry-after": "7 seconds"},
    ],
)
def test_the_rate_limit_contract_has_teeth(headers):
    assert problems(validator("rate_limit_headers"), headers)
