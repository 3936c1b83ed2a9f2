"""The project's own contract (`ingestion/api_contract.json`, read by `ingestion/contract.py`)
against its code, everywhere, and against the vendor's spec files where they lie beside the
checkout.

The vendor comparison reduces both documents to the same shape per attribute (types with
"null" for a nullable one, enum values with None for a nullable one, item shapes, the
properties and `required` list of inline objects) so that a retyped, renamed or re-nulled
field on either side fails with the attribute's name.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ingestion.contract import (
    ATTRIBUTES_SCHEMA,
    CONTRACT,
    KNOWN_ATTRIBUTES,
    REQUIRED_ATTRIBUTES,
    schema,
)
from ingestion.records import core_attributes
from ingestion.source import DASHBOARD_COLUMNS, INCIDENT_COLUMNS
from tests.workspace import REPO_ROOT

REFERENCE = REPO_ROOT.parent / "shared/reference"
SPEC = REFERENCE / "incident-api-openapi-subset.json"
CURRENT_SPEC = REFERENCE / "incident-api-more-openapi-subset.json"
COLUMNS = {"incidents": INCIDENT_COLUMNS, "dashboards": DASHBOARD_COLUMNS}
SCHEMA_OF = ATTRIBUTES_SCHEMA
#: a vendor schema and the `$defs` entry that stands for it in the project's contract
VENDOR_NAMES = {"severity_response": "severity"}
#: the JSON:API related documents the older subset leaves out, in the current spec
RELATED = (
    "environment_response",
    "functionality_response",
    "incident_type_response",
    "service_response",
    "team_response",
)
DEFS = CONTRACT["$defs"]
#: the smallest attributes each resource may have: its required ones
MINIMAL = {
    "incidents": {
        "title": "t",
        "slug": "t",
        "created_at": "2026-01-01T00:00:00.000Z",
        "updated_at": "2026-01-01T00:00:00.000Z",
    },
    "dashboards": {"name": "n", "owner": "team", "public": True},
}


# -- everywhere: the contract and the code that uses it --------------------------------------------


def test_the_contract_is_a_valid_draft_2020_12_schema():
    jsonschema.Draft202012Validator.check_schema(CONTRACT)
    assert CONTRACT["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def _refs(node: Any) -> list[str]:
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    if not isinstance(node, dict):
        return []
    own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
    return own + [ref for value in node.values() for ref in _refs(value)]


def test_every_reference_names_a_definition_of_the_contract():
    refs = _refs(CONTRACT)
    assert refs
    assert {ref.removeprefix("#/$defs/") for ref in refs} <= set(DEFS), refs


@pytest.mark.parametrize("name", sorted(DEFS))
def test_every_definition_is_usable_as_a_schema_of_its_own(name):
    validator = jsonschema.Draft202012Validator(schema(name))
    validator.check_schema(validator.schema)
    assert not validator.is_valid([])  # every entry describes an object


def test_an_unknown_definition_is_named_in_the_error():
    with pytest.raises(KeyError, match="incidents"):
        schema("incidents")


@pytest.mark.parametrize("resource", sorted(COLUMNS))
def test_attribute_sets_are_read_from_the_contract(resource):
    attributes = DEFS[SCHEMA_OF[resource]]
    assert REQUIRED_ATTRIBUTES[resource] == set(attributes["required"])
    assert KNOWN_ATTRIBUTES[resource] == set(attributes["properties"])


@pytest.mark.parametrize("resource", sorted(COLUMNS))
def test_required_attributes_are_known_ones(resource):
    assert REQUIRED_ATTRIBUTES[resource] <= KNOWN_ATTRIBUTES[resource]


@pytest.mark.parametrize("resource", sorted(COLUMNS))
def test_every_core_column_hint_names_a_known_attribute(resource):
    assert set(core_attributes(COLUMNS[resource])) <= KNOWN_ATTRIBUTES[resource]


@pytest.mark.parametrize("resource", sorted(COLUMNS))
def test_unknown_attributes_are_legal_and_only_required_ones_must_be_there(resource):
    """New upstream fields must pass; a missing required or a null non-nullable one fails."""
    attributes = dict(MINIMAL[resource])
    assert set(attributes) == REQUIRED_ATTRIBUTES[resource]
    attributes["zz_new_upstream_field"] = {"anything": [1, None]}
    validator = jsonschema.Draft202012Validator(schema(SCHEMA_OF[resource]))
    assert list(validator.iter_errors(attributes)) == []
    first = sorted(REQUIRED_ATTRIBUTES[resource])[0]
    assert list(validator.iter_errors({**attributes, first: None}))
    del attributes[first]
    assert list(validator.iter_errors(attributes))


# -- where the vendor's files are present ----------------------------------------------------------


def _spec(path: Path) -> dict[str, Any]:
    if not path.exists():
        pytest.skip(f"the vendor's spec is not beside this checkout ({path})")
    document = json.loads(path.read_text(encoding="utf-8"))
    return document["schemas"] if "schemas" in document else document["components"]["schemas"]


def _merge(into: dict[str, Any], shape: dict[str, Any]) -> dict[str, Any]:
    for key, value in shape.items():
        if key in ("types", "required") or (key == "enum" and key in into):
            into[key] = into.get(key, frozenset()) | value
        else:
            into[key] = value
    return into


def vendor_shape(node: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """An OpenAPI 3.0 schema's structure: `nullable` as a "null" type (and a None enum value),
    `allOf: [$ref]` inlined; a ref to a schema the file leaves out is a related document."""
    shape: dict[str, Any] = {"types": frozenset()}
    for part in [node] if "$ref" in node else node.get("allOf", []):
        name = part["$ref"].rsplit("/", 1)[-1]
        if name in schemas:
            _merge(shape, vendor_shape(schemas[name], schemas))
        else:
            shape["related"] = True
    nullable = bool(node.get("nullable"))
    if "type" in node:
        shape["types"] |= {node["type"], *(["null"] if nullable else [])}
    if "enum" in node:
        shape["enum"] = frozenset([*node["enum"], *([None] if nullable else [])])
    if "items" in node:
        shape["items"] = vendor_shape(node["items"], schemas)
    if "properties" in node:
        shape["properties"] = {k: vendor_shape(v, schemas) for k, v in node["properties"].items()}
        shape["required"] = frozenset(node.get("required", []))
    return shape


def project_shape(node: dict[str, Any]) -> dict[str, Any]:
    """The same structure of a node of the project's contract (JSON Schema 2020-12)."""
    shape: dict[str, Any] = {"types": frozenset()}
    if "$ref" in node:
        name = node["$ref"].removeprefix("#/$defs/")
        if name == "related_resource":
            shape["related"] = True
            shape["types"] = frozenset({DEFS[name]["type"]})
        else:
            _merge(shape, project_shape(DEFS[name]))
    for member in node.get("anyOf", []):
        _merge(shape, project_shape(member))
    if "type" in node:
        types = node["type"]
        shape["types"] |= frozenset([types] if isinstance(types, str) else types)
    if "enum" in node:
        shape["enum"] = frozenset(node["enum"])
    if "items" in node:
        shape["items"] = project_shape(node["items"])
    if "properties" in node:
        shape["properties"] = {k: project_shape(v) for k, v in node["properties"].items()}
        shape["required"] = frozenset(node.get("required", []))
    return shape


def _show(value: Any) -> Any:
    return sorted(value, key=str) if isinstance(value, frozenset) else value


def differences(ours: dict[str, Any], theirs: dict[str, Any], path: str = "") -> list[str]:
    """Where two shapes differ, one line per attribute (nested ones as `a.b.c`)."""
    found: list[str] = []
    for key in sorted(set(ours) | set(theirs)):
        mine, vendor = ours.get(key), theirs.get(key)
        if key == "properties":
            for name in sorted(set(mine or {}) | set(vendor or {})):
                where = f"{path}.{name}".lstrip(".")
                if name not in (mine or {}) or name not in (vendor or {}):
                    side = "the vendor's spec" if name not in (vendor or {}) else "the contract"
                    found.append(f"{where}: missing from {side}")
                else:
                    found += differences(mine[name], vendor[name], where)
        elif key == "items":
            found += differences(mine or {}, vendor or {}, f"{path}[]")
        elif mine != vendor:
            found.append(
                f"{path or '<root>'} {key}: contract {_show(mine)} != vendor {_show(vendor)}"
            )
    return found


@pytest.mark.parametrize("resource", sorted(COLUMNS))
def test_the_contract_matches_the_vendors_spec(resource):
    schemas = _spec(SPEC)
    vendor = schemas[SCHEMA_OF[resource]]
    assert REQUIRED_ATTRIBUTES[resource] == set(vendor["required"])
    assert KNOWN_ATTRIBUTES[resource] == set(vendor["properties"])


@pytest.mark.parametrize("resource", sorted(COLUMNS))
def test_every_attributes_type_nullability_and_enum_match_the_vendors_spec(resource):
    schemas = _spec(SPEC)
    ours = project_shape(DEFS[SCHEMA_OF[resource]])
    theirs = vendor_shape(schemas[SCHEMA_OF[resource]], schemas)
    assert differences(ours, theirs) == []


@pytest.mark.parametrize(("vendor_name", "name"), sorted(VENDOR_NAMES.items()))
def test_related_documents_match_the_vendors_spec(vendor_name, name):
    schemas = _spec(SPEC)
    theirs = vendor_shape(schemas[vendor_name], schemas)
    assert differences(project_shape(DEFS[name]), theirs) == []


@pytest.mark.parametrize("name", RELATED)
def test_the_minimal_related_document_holds_for_the_current_specs_related_documents(name):
    """What the contract asks of a related document (id, type, attributes, name, slug) is
    what each of the current spec's documents of that kind promises."""
    schemas = _spec(CURRENT_SPEC)
    ours, theirs = project_shape(DEFS["related_resource"]), vendor_shape(schemas[name], schemas)
    data, vendor_data = ours["properties"]["data"], theirs["properties"]["data"]
    assert ours["required"] <= theirs["required"]
    assert data["required"] <= vendor_data["required"]
    attributes = data["properties"]["attributes"]
    vendor_attributes = vendor_data["properties"]["attributes"]
    assert attributes["required"] <= vendor_attributes["required"]
    vendor_props = {**vendor_data["properties"], **vendor_attributes["properties"]}
    for key, shape in [*data["properties"].items(), *attributes["properties"].items()]:
        assert shape["types"] == vendor_props[key]["types"], key


@pytest.mark.parametrize("name", ["meta", "links"])
def test_the_paging_envelope_matches_the_current_spec(name):
    schemas = _spec(CURRENT_SPEC)
    assert differences(project_shape(DEFS[name]), vendor_shape(schemas[name], schemas)) == []


@pytest.mark.parametrize("name", ["incident_list", "dashboard_list"])
def test_the_list_envelope_matches_the_current_spec(name):
    """Same required keys; each item requires id/type/attributes, with the same type enum."""
    schemas = _spec(CURRENT_SPEC)
    ours, theirs = project_shape(DEFS[name]), vendor_shape(schemas[name], schemas)
    assert ours["required"] == theirs["required"]
    item, vendor_item = ours["properties"]["data"]["items"], theirs["properties"]["data"]["items"]
    assert item["required"] == vendor_item["required"]
    for key in ("id", "type"):
        assert differences(item["properties"][key], vendor_item["properties"][key], key) == []


# -- the other resources (alerts, action items, retrospectives, catalogs) --------------------------

#: a schema of the vendor's current spec and the `$defs` entry that stands for it
CURRENT_VENDOR_NAMES = {
    "alert": "alert",
    "incident_action_item": "action_item",
    "incident_post_mortem": "post_mortem",
    "team": "team",
    "service": "service",
    "severity": "severity_catalog",
    "environment": "environment",
    "incident_type": "incident_type",
    "functionality": "functionality",
    "user": "user",
    "alerts_source": "alert_source",
    "alert_urgency": "alert_urgency",
    "user_flat_response": "user_flat",
}
#: the contract's list envelope of each other resource and the current spec's
CURRENT_LISTS = {
    "alert_list": "alert_list",
    "action_item_list": "incident_action_item_list",
    "post_mortem_list": "incident_post_mortem_list",
    "team_list": "team_list",
    "service_list": "service_list",
    "severity_list": "severity_list",
    "environment_list": "environment_list",
    "incident_type_list": "incident_type_list",
    "functionality_list": "functionality_list",
    "user_list": "user_list",
    "alert_source_list": "alerts_source_list",
    "alert_urgency_list": "alert_urgency_list",
}


@pytest.mark.parametrize("name", sorted(CURRENT_LISTS))
def test_every_other_list_names_its_records_attributes(name):
    item = DEFS[name]["properties"]["data"]["items"]
    attributes = item["properties"]["attributes"]["$ref"].removeprefix("#/$defs/")
    assert attributes in CURRENT_VENDOR_NAMES.values()
    assert set(DEFS[attributes]["required"]) <= set(DEFS[attributes]["properties"])


def test_the_severity_catalog_is_the_severity_an_incident_nests():
    """GET /v1/severities serves the attributes an incident's `severity` document carries."""
    nested = DEFS["severity"]["properties"]["data"]["properties"]["attributes"]
    listed = {k: v for k, v in DEFS["severity_catalog"].items() if not k.startswith("$")}
    assert listed.pop("additionalProperties") is True
    assert listed == nested


@pytest.mark.parametrize(("vendor_name", "name"), sorted(CURRENT_VENDOR_NAMES.items()))
def test_the_other_resources_match_the_current_spec(vendor_name, name):
    schemas = _spec(CURRENT_SPEC)
    theirs = vendor_shape(schemas[vendor_name], schemas)
    assert differences(project_shape(DEFS[name]), theirs) == []


@pytest.mark.parametrize(("name", "vendor_name"), sorted(CURRENT_LISTS.items()))
def test_the_other_list_envelopes_match_the_current_spec(name, vendor_name):
    """Same required keys, item keys, type enum and attributes; the users' relationships."""
    schemas = _spec(CURRENT_SPEC)
    ours, theirs = project_shape(DEFS[name]), vendor_shape(schemas[vendor_name], schemas)
    assert ours["required"] == theirs["required"]
    item, vendor_item = ours["properties"]["data"]["items"], theirs["properties"]["data"]["items"]
    assert item["required"] == vendor_item["required"]
    keys = ["id", "type", "attributes"] + (["relationships"] if name == "user_list" else [])
    for key in keys:
        assert differences(item["properties"][key], vendor_item["properties"][key], key) == []
