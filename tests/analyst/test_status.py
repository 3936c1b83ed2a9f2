"""`just status` rendering: a healthy warehouse, a failed newest run, and no run at all."""

from __future__ import annotations

import datetime as dt

import duckdb

from analyst import freshness, status

NOW = dt.datetime(2026, 7, 1, 12, 0, tzinfo=dt.UTC)
RULES = [
    freshness.SourceFreshness(
        "analytics_api",
        "incidents",
        freshness.Threshold(1, "day"),
        freshness.Threshold(7, "day"),
        "sources.yml",
    )
]


def success(run_id: str = "r1") -> dict:
    return {
        "run_id": run_id,
        "status": "success",
        "source": "demo API",
        "full_refresh": False,
        "started_at": NOW - dt.timedelta(hours=2, seconds=40),
        "finished_at": NOW - dt.timedelta(hours=2),
        "pages_by_resource": {"incidents": 3, "dashboards": 1},
        "cursor_before": {"incidents": "2026-06-01T00:00:00Z"},
        "cursor_after": {"incidents": "2026-06-30T00:00:00Z"},
    }


def test_a_healthy_warehouse() -> None:
    text = status.render_status(
        status.Status(
            warehouse="/w.duckdb",
            last_success=success(),
            newest_run=success(),
            mart_rows={"dim_teams": 8, "fct_incidents": 1234},
            last_load=NOW - dt.timedelta(days=2),
            rules=RULES,
        ),
        NOW,
    )
    assert "finished 2026-07-01 10:00:00 UTC (2.0 h ago)" in text
    assert "run r1, demo API, took 40s" in text
    assert "  fct_incidents       1,234" in text
    assert "incidents   2026-06-30T00:00:00Z  (was 2026-06-01T00:00:00Z)" in text
    assert "dashboards  no cursor: read in full every run" in text
    assert "analytics_api.incidents  WARN   warn after 1 day, error after 7 days" in text
    assert "thresholds from sources.yml" in text
    assert "Newest run" not in text


def test_a_failed_newest_run_is_shown_beside_the_last_success() -> None:
    failed = {
        **success("r2"),
        "status": "failed",
        "finished_at": NOW - dt.timedelta(minutes=5),
        "error": "API said 401\nmore",
    }
    text = status.render_status(
        status.Status("/w.duckdb", success(), failed, {"t": 1}, NOW, RULES), NOW
    )
    assert (
        "Newest run           failed at 2026-07-01 11:55:00 UTC (5 min ago): API said 401" in text
    )


def test_before_any_run() -> None:
    text = status.render_status(status.Status("/w.duckdb", rules=RULES), NOW)
    assert "none yet: run `just elt`" in text
    assert "Marts                none built yet" in text
    assert "analytics_api.incidents  NO LOAD YET" in text


def test_an_empty_warehouse_file_reads_without_errors(capsys, tmp_path) -> None:
    path = str(tmp_path / "empty.duckdb")
    duckdb.connect(path).close()
    assert status.run([], path) == 0
    out = capsys.readouterr().out
    assert "none yet: run `just elt`" in out and "none built yet" in out
