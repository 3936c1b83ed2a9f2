"""Alerts that change while a run pages them (the demo's `churn_per_page` on alerts): the
run still loads every alert once, and the next run catches the updates made after a read.

In-process like test_more_resources.py: the real dlt pipeline into a temporary DuckDB file.
"""

from __future__ import annotations

import pytest

from ingestion.demo_api import run_demo_api
from tests.ingestion.test_more_resources import SIZE
from tests.ingestion.test_sync import query, sync


@pytest.fixture
def settings(settings):
    return settings.with_overrides(page_size=20)  # 180 alerts: 9 pages, 2 changes after each


def loaded_alerts(settings) -> list[tuple[str, str]]:
    """(id, updated_at as UTC text) of every row of raw.alerts."""
    return query(
        settings,
        "select id, strftime(attributes__updated_at at time zone 'UTC',"
        " '%Y-%m-%dT%H:%M:%S.%gZ') from raw.alerts order by all",
    )


def truth(api) -> dict[str, str]:
    return {r["id"]: r["attributes"]["updated_at"] for r in api.ground_truth()["alerts"]}


@pytest.mark.parametrize("cursor", [True, False], ids=["cursor_paging", "keyset_on_filter"])
def test_a_run_loads_every_alert_once_while_alerts_change(settings, tmp_path, cursor):
    with run_demo_api(**SIZE, state_dir=str(tmp_path / "demo")) as api:
        at_start = truth(api)
        api.set_faults(churn_per_page=2.0, fault_resource="alerts", no_cursor_paging=not cursor)
        sync(settings, api)
        assert api.health()["live_alert_updates"] >= 10
        rows = loaded_alerts(settings)
        ids = [alert for alert, _ in rows]
        assert len(ids) == len(set(ids))  # no duplicates
        assert set(ids) == set(at_start)  # complete (alerts are never deleted)
        api.set_faults()  # quiet again: the next run catches the updates made after a read
        sync(settings, api)
        assert dict(loaded_alerts(settings)) == truth(api)
        assert len(loaded_alerts(settings)) == len(at_start)
