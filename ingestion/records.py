"""Checks on each API record before dlt sees it: the cheap guard for the schema contract.

dlt's own contracts catch a retyped column only at normalize time and cannot see a renamed
one at all (the old column simply stays empty and a new one appears). Checking each record's
core attributes at extract time fails the run before anything is loaded, naming the field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC
from typing import Any

from ingestion.contract import REQUIRED_ATTRIBUTES
from ingestion.paging import parse_instant

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


def find_problem(
    record: Any, expected: Mapping[str, tuple[type, ...]], required: frozenset[str] = frozenset()
) -> str | None:
    """Describe what is wrong with one JSON:API record, or None when it is fine.

    A core attribute the spec requires must be there. An optional one may be absent: it
    loads as null. One record cannot tell an optional attribute renamed upstream from one
    left out because it is null next to a field that is new upstream (both are allowed),
    so a rename of an optional attribute shows as a new column in the run's summary.
    """
    if not isinstance(record, dict) or "id" not in record:
        return "is not a JSON:API resource object (no `id`)"
    attributes = record.get("attributes")
    if not isinstance(attributes, dict):
        return "has no `attributes` object"
    for key, types in expected.items():
        if key not in attributes:
            if key in required:
                return f"core field 'attributes.{key}' is missing (renamed or removed upstream?)"
            continue
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
    required = REQUIRED_ATTRIBUTES.get(resource, frozenset(expected))

    def check(record: dict) -> dict:
        problem = find_problem(record, expected, required)
        if problem:
            record_id = record.get("id") if isinstance(record, dict) else None
            raise RecordShapeError(
                f"{resource} record {record_id!r}: {problem}; nothing was loaded."
                " Update the column hints in ingestion/source.py and the staging model."
            )
        return record

    return check


def utc_cursor(resource: str, key: str = "updated_at") -> Callable[[dict], dict]:
    """A `processing_steps` map that writes the cursor attribute in one fixed UTC form.

    The API writes timestamps in local offsets (`...T05:00:00.000-07:00`), and even in UTC
    with or without a fraction. dlt's incremental compares string cursors as text, so a
    later instant written in an offset that sorts earlier would be dropped as already seen,
    as would `...T00:00:00.500Z` against a start of `...T00:00:00Z` ('.' sorts before 'Z').
    In one fixed-width UTC form (`utc_text`) text order is instant order. The loaded column
    is a timestamp either way.
    """

    def to_utc(record: dict) -> dict:
        attributes = record.get("attributes")
        value = attributes.get(key) if isinstance(attributes, dict) else None
        if isinstance(value, str):
            text = utc_text(value)
            if text is None:
                raise RecordShapeError(
                    f"{resource} record {record.get('id')!r}: 'attributes.{key}' holds"
                    f" {value[:40]!r}, which is not an ISO-8601 timestamp; nothing was loaded"
                )
            attributes[key] = text
        return record

    return to_utc


UTC_TEXT = "%Y-%m-%dT%H:%M:%S.%fZ"  # the form dlt also writes back after applying `lag`


def utc_text(value: str) -> str | None:
    """`value` as `2026-03-01T12:00:00.000000Z` (fixed width, UTC); None if not a timestamp.

    The two forms most APIs send are rewritten without parsing (the hot path: every record).
    """
    if len(value) == 27 and value[19] == "." and value[26] == "Z":
        return value
    if len(value) == 24 and value[19] == "." and value[23] == "Z" and value[10] == "T":
        return f"{value[:23]}000Z"
    moment = parse_instant(value)
    return None if moment is None else moment.astimezone(UTC).strftime(UTC_TEXT)
