"""The alerts cursor belongs to the warehouse it describes (as incidents', see
test_warehouse_state.py): two warehouses loaded from one checkout each resume from their own.

Each run goes through the pipeline's own steps (bind the state to the warehouse, extract,
normalize, load) against the demo API, into temporary DuckDB files.
"""

from __future__ import annotations

from ingestion.cursors import incremental_cursors
from ingestion.demo_api import run_demo_api
from ingestion.load import make_pipeline
from tests.ingestion.test_live_changes import run
from tests.ingestion.test_more_resources import SIZE
from tests.ingestion.test_sync import query


def alerts(settings) -> dict[str, str]:
    """id -> updated_at (UTC text) of raw.alerts."""
    rows = query(
        settings,
        "select id, strftime(attributes__updated_at at time zone 'UTC',"
        " '%Y-%m-%dT%H:%M:%S.%gZ') from raw.alerts",
    )
    return dict(rows)


def truth(api) -> dict[str, str]:
    return {r["id"]: r["attributes"]["updated_at"] for r in api.ground_truth()["alerts"]}


def alerts_cursor(settings) -> str:
    return incremental_cursors(make_pipeline(settings))["alerts"]


def test_each_warehouse_resumes_alerts_from_its_own_cursor(settings, tmp_path):
    a = settings.with_overrides(duckdb_path=str(tmp_path / "a.duckdb"))
    b = settings.with_overrides(duckdb_path=str(tmp_path / "b.duckdb"))
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        run(a, api)
        cursor_a = alerts_cursor(a)
        api.apply_changes()  # alerts a has not seen yet
        run(b, api)  # a new warehouse: a full load, whatever a's cursor says
        assert alerts(b) == truth(api)
        cursor_b = alerts_cursor(b)
        assert cursor_b > cursor_a
        api.apply_changes()
        # back to a: from a's cursor, so it catches the first batch too (b's cursor would
        # skip it), reading only the changed pages (not a full load)
        _, session = run(a, api)
        assert session.stats.requests["/v1/alerts"] <= 3
        assert alerts(a) == truth(api)
        assert alerts_cursor(a) > cursor_b
        assert alerts_cursor(b) == cursor_b  # a's run left b's cursor alone
        _, session = run(b, api)
        assert session.stats.requests["/v1/alerts"] <= 3
        assert alerts(b) == truth(api)
