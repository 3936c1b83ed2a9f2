"""A full scan that lists a record twice (offset paging while records are added ahead of
the page) loads it once (`ingestion.full_scans.ScanRepeats`): scd2 would otherwise keep two
current versions of it.

In-process like test_unchanged_scans.py, against the demo API's `duplicate_rate` fault
(records of the previous page repeated at the top of the next), compared with its ground
truth.
"""

from __future__ import annotations

import pytest

from ingestion.demo_api import run_demo_api
from ingestion.full_scans import ScanRepeats
from tests.ingestion.test_more_resources import assert_new_tables_equal_ground_truth
from tests.ingestion.test_sync import query, sync
from tests.workspace import SCD2_TABLES

SIZE = {"seed": 42, "incidents": 120, "dashboards": 10}


@pytest.fixture
def settings(settings):
    return settings.with_overrides(page_size=20)  # action items span several pages


@pytest.fixture
def api(tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        yield api


def sync_counting_repeats(settings, api) -> dict[str, int]:
    """One run's extract and load; returns the repeats dropped per scan."""
    repeats = ScanRepeats()
    sync(settings, api, repeats=repeats)
    return dict(repeats.repeats)


def duplicated_current_ids(settings) -> dict[str, int]:
    """Per scd2 table: ids with more than one current version."""
    counts = {}
    for table in (*SCD2_TABLES, "dashboards"):
        (n,) = query(
            settings,
            f"select count(*) from (select id from raw.{table} where _dlt_valid_to is null"
            " group by id having count(*) > 1)",
        )[0]
        counts[table] = n
    return {table: n for table, n in counts.items() if n}


def test_a_record_listed_twice_in_the_first_scan_is_loaded_once(settings, api):
    api.set_faults(duplicate_rate=0.5)
    repeated = sync_counting_repeats(settings, api)
    assert repeated.get("action_items", 0) > 0  # the fault bit
    assert duplicated_current_ids(settings) == {}
    assert_new_tables_equal_ground_truth(settings, api.ground_truth())


def test_a_changed_record_listed_twice_gets_one_new_version(settings, api):
    sync(settings, api)
    api.apply_changes(1)  # edits, adds and deletes follow-ups
    api.set_faults(duplicate_rate=0.5)
    repeated = sync_counting_repeats(settings, api)
    assert repeated.get("action_items", 0) > 0
    assert duplicated_current_ids(settings) == {}
    assert_new_tables_equal_ground_truth(settings, api.ground_truth())


def test_the_first_copy_of_an_id_passes_and_later_ones_are_counted():
    repeats = ScanRepeats()
    keep = repeats.first_sighting("teams")
    assert [keep({"id": i}) for i in ("a", "b", "a", "a")] == [True, True, False, False]
    assert repeats.repeats == {"teams": 2}


def test_scans_keep_their_own_ids():
    repeats = ScanRepeats()
    assert repeats.first_sighting("teams")({"id": "1"})
    assert repeats.first_sighting("users")({"id": "1"})


def test_a_record_without_an_id_is_left_to_the_record_check():
    keep = ScanRepeats().first_sighting("teams")
    assert keep({"attributes": {}}) and keep({"attributes": {}})


def test_only_the_last_window_of_ids_is_remembered():
    keep = ScanRepeats(window=2).first_sighting("teams")
    assert [keep({"id": i}) for i in ("a", "b", "b", "c", "a")] == [True, True, False, True, True]
