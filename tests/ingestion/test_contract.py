"""The project's own contract (`ingestion/contract.py`) against its code, everywhere, and
against the vendor's spec file where it lies beside the checkout."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingestion.contract import KNOWN_ATTRIBUTES, REQUIRED_ATTRIBUTES
from ingestion.records import core_attributes
from ingestion.source import DASHBOARD_COLUMNS, INCIDENT_COLUMNS

SPEC = (
    Path(__file__).resolve().parents[2].parent / "shared/reference/incident-api-openapi-subset.json"
)
COLUMNS = {"incidents": INCIDENT_COLUMNS, "dashboards": DASHBOARD_COLUMNS}
SCHEMA_OF = {"incidents": "incident", "dashboards": "dashboard"}


@pytest.mark.parametrize("resource", sorted(COLUMNS))
def test_required_attributes_are_known_ones(resource):
    assert REQUIRED_ATTRIBUTES[resource] <= KNOWN_ATTRIBUTES[resource]


@pytest.mark.parametrize("resource", sorted(COLUMNS))
def test_every_core_column_hint_names_a_known_attribute(resource):
    assert set(core_attributes(COLUMNS[resource])) <= KNOWN_ATTRIBUTES[resource]


@pytest.mark.parametrize("resource", sorted(COLUMNS))
def test_the_contract_matches_the_vendors_spec(resource):
    if not SPEC.exists():
        pytest.skip(f"the vendor's spec is not beside this checkout ({SPEC})")
    schema = json.loads(SPEC.read_text())["schemas"][SCHEMA_OF[resource]]
    assert REQUIRED_ATTRIBUTES[resource] == set(schema["required"])
    assert KNOWN_ATTRIBUTES[resource] == set(schema["properties"])
