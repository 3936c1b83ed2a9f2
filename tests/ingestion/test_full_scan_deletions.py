"""Action items, retrospectives and catalog entries deleted upstream are retired (scd2).

These lists have no filter: every run reads them whole, and dlt's scd2 closes the current
version of a record the scan no longer lists. The demo's change batches delete some of each
(an incident's deletion takes its action items and retrospective along; a catalog entry is
deleted now and then; severities never are); its ground truth names them (`more.DELETED_KEYS`).
"""

from __future__ import annotations

import pytest

from ingestion.demo_api import run_demo_api
from ingestion.demo_api.more import DELETED_KEYS
from ingestion.settings import load_settings
from ingestion.source import CATALOGS
from tests.ingestion.test_more_resources import SIZE, current
from tests.ingestion.test_sync import query, sync

GROUPS = {
    "action_items": ("action_items",),
    "post_mortems": ("post_mortems",),
    "catalogs": tuple(CATALOGS),
}
# the module's runs happen once, on one worker
pytestmark = pytest.mark.xdist_group("full_scan_deletions")

# at seed 11 two batches delete 3 action items, 1 retrospective and a team added by the first
BATCHES = 2


@pytest.fixture(scope="module")
def after_deletions(tmp_path_factory):
    """A first run, then a change batch and a run, twice: (settings, loaded, truth), where
    `loaded` is every record that was current after some run."""
    root = tmp_path_factory.mktemp("full-scan-deletions")
    settings = load_settings().with_overrides(
        page_size=50,
        request_backoff_factor=0.01,
        request_max_retry_delay=0.5,
        duckdb_path=str(root / "warehouse.duckdb"),
        pipelines_dir=str(root / "pipelines"),
    )
    tables = [table for group in GROUPS.values() for table in group]
    with run_demo_api(**SIZE, state_dir=str(root / "demo")) as api:
        loaded: dict[str, set[str]] = {table: set() for table in tables}
        for batch in range(BATCHES + 1):
            if batch:
                api.apply_changes()
            sync(settings, api)
            for table in tables:
                loaded[table] |= {row[0] for row in current(settings, table)}
        truth = api.ground_truth()
    return settings, loaded, truth


@pytest.mark.parametrize("group", GROUPS)
def test_records_deleted_upstream_have_no_current_version_after_the_next_run(
    after_deletions, group
):
    settings, loaded, truth = after_deletions
    retired = 0
    for table in GROUPS[group]:
        deleted = set(truth[DELETED_KEYS[table]]) if table in DELETED_KEYS else set()
        now = {row[0] for row in current(settings, table)}
        assert now == {r["id"] for r in truth[table]}, table  # the rest stay current
        assert not now & deleted, table
        for record in deleted & loaded[table]:  # loaded once, deleted since: retired
            rows = query(settings, f"select _dlt_valid_to from raw.{table} where id = '{record}'")
            assert rows and all(valid_to is not None for (valid_to,) in rows), (table, record)
            retired += 1
    assert retired > 0  # the batches did delete a record the warehouse held
