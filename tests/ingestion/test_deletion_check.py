"""The deletion check's bookkeeping, without a network."""

from __future__ import annotations

from datetime import UTC, datetime

from ingestion.deletions import DeletionCheck

FOUND = datetime(2026, 1, 2, tzinfo=UTC)


def check() -> DeletionCheck:
    return DeletionCheck({}, known={"a", "b", "c"}, previously={"a": FOUND})


def test_known_ids_missing_from_the_listing_are_deleted_keeping_a_known_date():
    rows = check().deletions({"c"})
    assert [row["id"] for row in rows] == ["a", "b"]
    assert rows[0]["found_deleted_at"] == FOUND


def test_the_summary_counts_what_the_check_found():
    deletion_check = check()
    deletion_check.ran = True
    deletion_check.deletions({"c"})
    assert deletion_check.summary() == {
        "checked": True,
        "listed": 1,
        "deleted": 2,
        "newly_deleted": 1,
    }
