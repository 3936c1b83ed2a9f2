"""A failure on one of the new resources (alerts, a catalog) stops the run with one line that
names the resource, and moves no cursor and no row: the rerun loads what the failed run did not.

The demo API answers 500 on one list only (`error_rate=1` with `fault_resource`); the run goes
through the pipeline's own steps into a temporary DuckDB file, as `just elt` makes it.
"""

from __future__ import annotations

import pytest

from ingestion.cursors import incremental_cursors
from ingestion.demo_api import run_demo_api
from ingestion.errors import MAX_LINE, explain
from ingestion.load import make_pipeline
from tests.ingestion.test_live_changes import run
from tests.ingestion.test_more_resources import SIZE, assert_new_tables_equal_ground_truth
from tests.ingestion.test_sync import query


def raw_counts(settings) -> dict[str, int]:
    tables = query(
        settings,
        "select table_name from information_schema.tables"
        " where table_schema = 'raw' and table_name not like '_dlt%'",
    )
    return {
        table: query(settings, f'select count(*) from raw."{table}"')[0][0] for (table,) in tables
    }


@pytest.mark.parametrize("resource", ["alerts", "teams"])
def test_a_failing_new_resource_fails_the_run_in_one_line_naming_it(settings, tmp_path, resource):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        run(settings, api)
        cursors, counts = incremental_cursors(make_pipeline(settings)), raw_counts(settings)
        api.apply_changes()  # new data the failed run must not half-load
        api.set_faults(error_rate=1.0, error_status=500, fault_resource=resource)
        with pytest.raises(Exception) as info:
            run(settings, api)
        line = explain(info.value)
        assert line == (
            f"the API answered HTTP 500 on /v1/{resource} after 3 attempts:"
            " the server is failing, rerun later"
        )
        assert len(line) <= MAX_LINE and "\n" not in line
        # nothing moved: no cursor (alerts', incidents'), no row, no package left behind
        pipeline = make_pipeline(settings)
        assert incremental_cursors(pipeline) == cursors
        assert set(cursors) >= {"incidents", "alerts"}
        assert raw_counts(settings) == counts
        assert not pipeline.has_pending_data
        api.set_faults()
        run(settings, api)  # the rerun loads the change batch
        assert_new_tables_equal_ground_truth(settings, api.ground_truth())
