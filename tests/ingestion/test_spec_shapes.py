"""Records in shapes the vendor's spec allows and the demo API serves behind flags:
timestamps in local UTC offsets, and null attributes left out of the record."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pytest

from ingestion.cursors import incremental_cursors
from ingestion.demo_api import run_demo_api
from ingestion.load import make_pipeline
from tests.ingestion.test_live_changes import loaded, run, truth

SIZE = {"seed": 9, "incidents": 400, "dashboards": 25}


@pytest.fixture
def settings(settings):
    return settings.with_overrides(page_size=20)


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_updates_written_in_an_offset_that_reads_earlier_are_not_lost(settings, tmp_path):
    with run_demo_api(
        **SIZE, state_dir=str(tmp_path / "demo"), faults={"local_offsets": True}
    ) as api:
        run(settings, api)
        # an hour later, written in offsets whose text may sort before the stored cursor's
        batch = api.apply_changes()["batches"][0]
        assert batch["updated_incidents"] > 0
        run(settings, api)
        gone = set(api.ground_truth()["deleted_incident_ids"])  # found by the deletion check
        alive = {i: u for i, u in loaded(settings).items() if i not in gone}
        assert alive == truth(api)


def test_the_stored_cursor_is_the_latest_instant_written_in_utc(settings, tmp_path):
    with run_demo_api(
        **SIZE, state_dir=str(tmp_path / "demo"), faults={"local_offsets": True}
    ) as api:
        run(settings, api)
        cursor = incremental_cursors(make_pipeline(settings))["incidents"]
        newest = max(instant(u) for u in truth(api).values())
    assert cursor.endswith("Z")
    assert instant(cursor) == newest


def test_records_without_their_null_attributes_load_with_nulls(settings, tmp_path):
    faults = {"omit_null_attributes": True}
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo"), faults=faults) as api:
        run(settings, api)
        expected = api.ground_truth()
        assert loaded(settings) == truth(api)
    without_summary = sum(1 for r in expected["incidents"] if r["attributes"]["summary"] is None)
    with duckdb.connect(settings.duckdb_path, read_only=True) as con:
        nulls = con.execute(
            "select count(*) from raw.incidents where attributes__summary is null"
        ).fetchone()[0]
        dashboards = con.execute(
            "select count(*) from raw.dashboards where _dlt_valid_to is null"
        ).fetchone()[0]
    assert nulls == without_summary > 0
    assert dashboards == len(expected["dashboards"])
