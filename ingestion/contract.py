"""What the project relies on from the API, written down in its own words.

The vendor publishes an OpenAPI spec; the project does not ship it (a third party's file)
but depends on facts from it. Those facts live in `api_contract.json` beside this module, a
JSON Schema (draft 2020-12) written for the project: record attributes with their types,
nullability and enums, the list envelope, the rate-limit headers. Tests validate the demo
API and generate records from it everywhere, and `tests/ingestion/test_contract.py` holds it
against the vendor's file where that is present beside the checkout. The attribute sets the
record checks need are derived from it here, so there is one list to keep up to date.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

CONTRACT_PATH = Path(__file__).with_name("api_contract.json")

#: The whole contract document, loaded once.
CONTRACT: dict[str, Any] = json.loads(CONTRACT_PATH.read_text(encoding="utf-8"))

#: The `$defs` entry describing each resource's `attributes`, from the contract's
#: `x-resource-attributes` (JSON Schema keeps unknown keywords as annotations).
ATTRIBUTES_SCHEMA: dict[str, str] = {
    resource: name
    for resource, name in CONTRACT["x-resource-attributes"].items()
    if not resource.startswith("$")
}


def schema(name: str) -> dict[str, Any]:
    """`$defs[name]` as a self-contained JSON Schema, for `jsonschema.Draft202012Validator`.

    It refers to the entry rather than copying it, so the entry's own `$ref`s to its
    siblings resolve as in the contract file.
    """
    if name not in CONTRACT["$defs"]:
        raise KeyError(f"no {name!r} in {CONTRACT_PATH.name}; have {sorted(CONTRACT['$defs'])}")
    return {"$schema": CONTRACT["$schema"], "$ref": f"#/$defs/{name}", "$defs": CONTRACT["$defs"]}


def _attribute_names(key: str) -> dict[str, frozenset[str]]:
    return {
        resource: frozenset(CONTRACT["$defs"][name][key])
        for resource, name in ATTRIBUTES_SCHEMA.items()
    }


# Attributes every record carries (the contract's `required` lists). Every other attribute
# may be absent: JSON:API servers commonly leave out attributes whose value is null.
REQUIRED_ATTRIBUTES: dict[str, frozenset[str]] = _attribute_names("required")

# Every attribute the contract declares: an attribute outside this set is new upstream (kept
# as a new column).
KNOWN_ATTRIBUTES: dict[str, frozenset[str]] = _attribute_names("properties")
