"""Minimal valid JSON:API records for ingestion tests (the demo API makes realistic ones)."""

from __future__ import annotations

from ingestion.source import DASHBOARD_COLUMNS, INCIDENT_COLUMNS

SAMPLE_VALUES = {"text": "x", "timestamp": "2026-01-01T00:00:00.000Z", "bigint": 1, "bool": False}


def _attributes(columns: dict) -> dict:
    attributes: dict = {}
    for name, hint in columns.items():
        parts = name.split("__")
        if parts[0] != "attributes":
            continue
        if len(parts) > 2:
            attributes[parts[1]] = None  # nested objects may be null
        elif hint["data_type"] == "json":
            attributes[parts[1]] = {}
        else:
            attributes[parts[1]] = SAMPLE_VALUES[hint["data_type"]]
    return attributes


def incident(n: int, updated_at: str = "2026-01-01T00:00:00.000Z") -> dict:
    attributes = _attributes(INCIDENT_COLUMNS) | {
        "sequential_id": n,
        "title": f"incident {n}",
        "updated_at": updated_at,
        "services": [],
        "environments": [],
        "groups": [],
    }
    return {"id": f"inc-{n}", "type": "incidents", "attributes": attributes}


def dashboard(n: int) -> dict:
    attributes = _attributes(DASHBOARD_COLUMNS) | {"name": f"dashboard {n}", "team_id": 1}
    return {"id": f"dash-{n}", "type": "dashboards", "attributes": attributes}
