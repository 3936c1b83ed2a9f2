"""The record check: what the spec requires, what may be absent, what a rename looks like;
and the cursor attribute written as UTC text before dlt's incremental compares it."""

from __future__ import annotations

import pytest

from ingestion.records import RecordShapeError, check_record, utc_cursor
from ingestion.source import DASHBOARD_COLUMNS, INCIDENT_COLUMNS
from tests.ingestion.records_factory import dashboard, incident


def without(record: dict, *keys: str) -> dict:
    attributes = {k: v for k, v in record["attributes"].items() if k not in keys}
    return {**record, "attributes": attributes}


def test_a_dashboard_without_an_optional_key_passes():
    check = check_record("dashboards", DASHBOARD_COLUMNS)
    record = without(dashboard(1), "user_id", "description", "color")
    assert check(record) is record


def test_an_incident_without_its_optional_keys_passes():
    check = check_record("incidents", INCIDENT_COLUMNS)
    record = without(incident(1), "summary", "severity", "labels", "resolved_at", "status")
    assert check(record) is record


@pytest.mark.parametrize("key", ["title", "slug", "created_at", "updated_at"])
def test_an_incident_without_a_required_key_fails_naming_it(key):
    with pytest.raises(RecordShapeError, match=f"'attributes.{key}' is missing"):
        check_record("incidents", INCIDENT_COLUMNS)(without(incident(1), key))


def test_a_dashboard_without_a_required_key_fails_naming_it():
    with pytest.raises(RecordShapeError, match=r"'attributes\.owner' is missing"):
        check_record("dashboards", DASHBOARD_COLUMNS)(without(dashboard(1), "owner"))


def test_an_optional_key_missing_beside_a_new_one_loads_both():
    """Allowed by the spec: a null left out, and a field new upstream (a new column)."""
    record = without(incident(1), "summary")
    record["attributes"]["synopsis"] = "new upstream"
    assert check_record("incidents", INCIDENT_COLUMNS)(record) is record


def test_an_unknown_key_alone_is_a_new_column_not_an_error():
    record = incident(1)
    record["attributes"]["synopsis"] = "a new field upstream"
    assert check_record("incidents", INCIDENT_COLUMNS)(record) is record


def test_a_retyped_optional_key_still_fails():
    record = incident(1)
    record["attributes"]["private"] = "no"
    with pytest.raises(RecordShapeError, match="changed type"):
        check_record("incidents", INCIDENT_COLUMNS)(record)


@pytest.mark.parametrize(
    ("written", "utc"),
    [
        ("2026-07-01T05:00:00.000-07:00", "2026-07-01T12:00:00.000000Z"),
        ("2026-07-01T22:00:00.123+10:00", "2026-07-01T12:00:00.123000Z"),
        ("2026-07-01T12:00:00.123Z", "2026-07-01T12:00:00.123000Z"),
        ("2026-07-01T12:00:00Z", "2026-07-01T12:00:00.000000Z"),
        ("2026-07-01T12:00:00.123456Z", "2026-07-01T12:00:00.123456Z"),
        ("2026-07-01T12:00:00", "2026-07-01T12:00:00.000000Z"),  # no offset: UTC
    ],
)
def test_the_cursor_is_written_as_utc_text(written, utc):
    record = incident(1, updated_at=written)
    assert utc_cursor("incidents")(record)["attributes"]["updated_at"] == utc


def test_utc_text_orders_instants_whatever_offset_they_were_written_in():
    to_utc = utc_cursor("incidents")
    earlier = to_utc(incident(1, "2026-07-01T11:00:00.000+10:00"))["attributes"]["updated_at"]
    later = to_utc(incident(2, "2026-07-01T00:00:00.000-07:00"))["attributes"]["updated_at"]
    assert later > earlier  # as text: what dlt's incremental compares


def test_a_cursor_that_is_not_a_timestamp_fails_naming_the_record():
    with pytest.raises(RecordShapeError, match="not an ISO-8601 timestamp"):
        utc_cursor("incidents")(incident(7, updated_at="yesterday"))


def test_utc_text_of_a_second_sorts_before_a_fraction_of_it():
    """'.' sorts before 'Z': unequal widths would drop `...00.500Z` against `...00Z`."""
    to_utc = utc_cursor("incidents")
    start = to_utc(incident(1, "2000-01-01T00:00:00Z"))["attributes"]["updated_at"]
    later = to_utc(incident(2, "2000-01-01T00:00:00.500Z"))["attributes"]["updated_at"]
    assert later > start
