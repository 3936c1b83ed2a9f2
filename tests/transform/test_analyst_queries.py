"""The analyst commands' queries (`analyst/queries.py`) on the fixture marts: the
incidents deleted upstream (inc-015, inc-007) are in none of their counts or measures."""

from __future__ import annotations

import datetime as dt

import pytest

from analyst import queries


def test_report_header_leaves_deleted_incidents_out(warehouse):
    [header] = queries.records(warehouse, queries.DATA_AS_OF)
    # 16 incidents less the deleted inc-007 and inc-015; 11 countable less inc-015.
    assert header["incidents"] == 14
    assert header["countable_incidents"] == 10
    # Resolved countable: 45, 45.5, 60, 90, 150, 1441, 4320 (inc-015's 30 is left out).
    assert header["median_minutes_to_resolve"] == pytest.approx(90.0)
    assert (header["first_day"], header["last_day"]) == (dt.date(2026, 3, 1), dt.date(2026, 3, 5))


def test_report_resolve_times_leave_deleted_incidents_out(warehouse):
    rows = {
        row["severity_level"]: row
        for row in queries.records(warehouse, queries.RESOLVE_TIMES_PER_MONTH)
    }
    # Critical in March: inc-001 (90), inc-013 (60), inc-016 (45); not inc-015 (30).
    critical = rows["critical"]
    assert critical["month_start"] == dt.date(2026, 3, 1)
    assert critical["incidents_resolved"] == 3
    assert critical["median_minutes"] == pytest.approx(60.0)


def test_report_weekly_counts_and_team_ranking_leave_deleted_incidents_out(warehouse):
    weekly = queries.records(warehouse, queries.INCIDENTS_PER_WEEK)
    assert sum(row["incidents"] for row in weekly) == 9
    teams = {
        row["team_id"]: row["incidents"]
        for row in queries.records(warehouse, queries.TOP_TEAMS, [10])
    }
    assert teams == {"3": 4, "5": 4, "7": 2}
    [(rate,)] = warehouse.execute(queries.OVERALL_BREACH_RATE).fetchall()
    # Breached: inc-001, inc-014 of 6 resolved with a target (1, 2, 4, 13, 14, 16).
    assert rate == pytest.approx(2 / 6)
