"""Full scans that read what the last loaded scan read are not loaded again
(`ingestion/full_scans.py`), and a scan that changed is loaded whole, as scd2 needs.

In-process like test_sync.py: the real dlt pipeline into a temporary DuckDB file, no dbt.
"""

from __future__ import annotations

import gzip

import duckdb
import pytest

from ingestion.demo_api import run_demo_api
from ingestion.full_scans import DIGEST_TABLE, scan_digest
from ingestion.source import CATALOGS, FOLLOW_UPS
from tests.ingestion.test_more_resources import assert_new_tables_equal_ground_truth
from tests.ingestion.test_sync import query, sync

SIZE = {"seed": 5, "incidents": 40, "dashboards": 6}
FULL_SCANS = sorted(("dashboards", *CATALOGS, *FOLLOW_UPS))


@pytest.fixture
def api(tmp_path):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        yield api


def versions(settings) -> dict[str, list[tuple]]:
    """Every scd2 version of every full-scan table, with its validity window."""
    return {
        table: query(
            settings,
            f"select id, _dlt_valid_from, _dlt_valid_to, _dlt_id from raw.{table} order by all",
        )
        for table in FULL_SCANS
    }


def test_a_second_sync_without_upstream_changes_loads_no_full_scan(settings, api):
    first, _ = sync(settings, api)
    assert first.unchanged_scans == []
    before = versions(settings)
    second, _ = sync(settings, api)
    assert second.unchanged_scans == FULL_SCANS
    assert not set(second.rows) & set(FULL_SCANS)
    assert versions(settings) == before


def test_an_unchanged_scan_keeps_its_fingerprint_for_the_next_run(settings, api):
    sync(settings, api)
    sync(settings, api)  # unchanged: records when it scanned, not a new fingerprint
    third, _ = sync(settings, api)
    assert third.unchanged_scans == FULL_SCANS


def test_the_fingerprints_are_recorded_in_the_warehouse_once_loaded(settings, api):
    sync(settings, api)
    recorded = dict(query(settings, f"select table_name, digest from {DIGEST_TABLE}"))
    assert sorted(recorded) == FULL_SCANS


def test_after_a_change_batch_the_changed_scans_load_and_match_ground_truth(settings, api):
    sync(settings, api)
    sync(settings, api)
    batch = api.apply_changes(2)
    assert batch
    third, _ = sync(settings, api)
    assert "action_items" in third.rows  # every batch edits follow-ups
    assert "action_items" not in third.unchanged_scans
    assert_new_tables_equal_ground_truth(settings, api.ground_truth())


def test_a_scan_is_loaded_again_when_its_fingerprint_is_not_recorded(settings, api):
    """A load that failed after extract never records: the next run loads the scan whole."""
    sync(settings, api)
    with duckdb.connect(settings.duckdb_path) as con:
        con.execute(f"delete from {DIGEST_TABLE} where table_name = 'teams'")
    second, _ = sync(settings, api)
    assert "teams" not in second.unchanged_scans
    assert second.rows["teams"] > 0


def test_the_scan_digest_ignores_page_order_and_compression(tmp_path):
    plain = tmp_path / "a.typed-jsonl"
    plain.write_bytes(b'[{"id": "1"}]\n[{"id": "2"}]\n')
    packed = tmp_path / "b.typed-jsonl"
    packed.write_bytes(gzip.compress(b'[{"id": "2"}]\n[{"id": "1"}]\n'))
    assert scan_digest([str(plain)]) == scan_digest([str(packed)])


def test_the_scan_digest_sees_a_changed_record(tmp_path):
    one = tmp_path / "a.typed-jsonl"
    one.write_bytes(b'[{"id": "1", "name": "Core"}]\n')
    two = tmp_path / "b.typed-jsonl"
    two.write_bytes(b'[{"id": "1", "name": "Core team"}]\n')
    assert scan_digest([str(one)]) != scan_digest([str(two)])
