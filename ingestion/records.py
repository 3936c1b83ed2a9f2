"""Checks on each API record before dlt sees it: the cheap guard for the schema contract.

dlt's own contracts catch a retyped column only at normalize time and cannot see a renamed
one at all (the old column simply stays empty and a new one appears). Checking each record's
core attributes at extract time fails the run before anything is loaded, naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "text": (str,),
    "timestamp": (str,),
    "bigint": (int,),
    "bool": (bool,),
    "json": (dict, list),
}


class RecordShapeError(Exception):
    """A record lacks a core field or carries it with the wrong type."""


def core_attributes(columns: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[type, ...]]:
    """Expected top-level `attributes` keys and their Python types, from the column hints.

    `attributes__title` -> `title: str`; `attributes__severity__data__id` -> `severity: dict`.
    """
    expected: dict[str, tuple[type, ...]] = {}
    for name, hint in columns.items():
        parts = name.split("__")
        if parts[0] != "attributes" or len(parts) < 2:
            continue
        if len(parts) > 2:
            expected[parts[1]] = (dict,)
        else:
            expected[parts[1]] = PYTHON_TYPES[hint["data_type"]]
    return expected


def find_problem(record: Any, expected: Mapping[str, tuple[type, ...]]) -> str | None:
    """Describe what is wrong with one JSON:API record, or None when it is fine."""
    if not isinstance(record, dict) or "id" not in record:
        return "is not a JSON:API resource object (no `id`)"
    attributes = record.get("attributes")
    if not isinstance(attributes, dict):
        return "has no `attributes` object"
    for key, types in expected.items():
        if key not in attributes:
            return f"core field 'attributes.{key}' is missing (renamed or removed upstream?)"
        value = attributes[key]
        if value is None:
            continue
        # bool is a subclass of int: a boolean where an integer belongs is a retype too
        if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
            wanted = " or ".join(t.__name__ for t in types)
            return (
                f"core field 'attributes.{key}' changed type: expected {wanted},"
                f" got {type(value).__name__}"
            )
    return None


def check_record(resource: str, columns: Mapping[str, Mapping[str, Any]]) -> Callable[[dict], dict]:
    """A `processing_steps` map that passes good records through and stops on a bad one."""
    expected = core_attributes(columns)

    def check(record: dict) -> dict:
        problem = find_problem(record, expected)
        if problem:
            record_id = record.get("id") if isinstance(record, dict) else None
            raise RecordShapeError(
                f"{resource} record {record_id!r}: {problem}; nothing was loaded."
                " Update the column hints in ingestion/source.py and the staging model."
            )
        return record

    return check
