"""The report's figures from literal rows, and a page that needs no network to open."""

from __future__ import annotations

import datetime as dt
import re

from analyst import report
from analyst.charts import ReportData, build_figures, severity_levels

W1, W2 = dt.date(2026, 1, 5), dt.date(2026, 1, 12)
DATA = ReportData(
    incidents_per_week=[
        {"week_start": W1, "severity_level": "low", "incidents": 3},
        {"week_start": W1, "severity_level": "critical", "incidents": 1},
        {"week_start": W2, "severity_level": "none", "incidents": 2},
    ],
    resolve_times=[
        {
            "month_start": dt.date(2026, 1, 1),
            "severity_level": "critical",
            "incidents_resolved": 4,
            "median_minutes": 50.5,
            "p90_minutes": 80.25,
        }
    ],
    sla_targets={"critical": 60.0, "low": 4320.0},
    breach_rate=[
        {"week_start": W1, "breached": 1, "resolved_with_target": 4, "breach_rate": 0.25},
        {"week_start": W2, "breached": 0, "resolved_with_target": 0, "breach_rate": None},
    ],
    top_teams=[
        {"team_id": "1", "team_name": "</script><b>Ops", "incidents": 9},
        {"team_id": "2", "team_name": "Web", "incidents": 4},
    ],
    dashboards_per_team=[
        {"team_id": "1", "team_name": "Ops", "dashboards": 3, "deleted_dashboards": 1}
    ],
)
HEADER = {
    "newest_change": dt.datetime(2026, 6, 30),
    "first_day": dt.date(2026, 1, 1),
    "last_day": dt.date(2026, 6, 28),
    "countable_incidents": 435,
    "median_minutes_to_resolve": 1254.4,
    "sla_breach_rate": 0.436,
    "last_run": {
        "run_id": "cc4b5772bbe9",
        "source": "demo API",
        "full_refresh": False,
        "finished_at": dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    },
}


def traces(fig) -> dict[str, dict]:
    return {t.name: {"x": list(t.x), "y": list(t.y)} for t in fig.data}


def test_severities_are_ordered_most_severe_first() -> None:
    assert severity_levels({"none", "low", "critical", "p5"}) == ["critical", "low", "p5", "none"]


def test_figures_hold_the_rows() -> None:
    figs = build_figures(DATA)
    weekly = traces(figs["incidents-per-week"])
    assert list(weekly) == ["critical", "low", "none"]
    assert weekly["low"] == {"x": ["2026-01-05"], "y": [3]}
    resolve = figs["resolve-times"].data
    assert [(t.name, list(t.y)) for t in resolve] == [
        ("median", [50.5]),
        ("p90", [80.25]),
        ("SLA target", [60.0]),
    ]
    assert traces(figs["sla-breach-rate"])["SLA breach rate"]["y"] == [0.25, None]
    assert traces(figs["top-teams"])["incidents"]["y"] == ["Web", "</script><b>Ops"]  # top on top
    assert traces(figs["dashboards-per-team"])["deleted"]["x"] == [1]


def test_page_is_self_contained_and_round_trips_its_figures() -> None:
    figs = build_figures(DATA)
    page = report.render_html(
        figs,
        report.render_header(HEADER, "/w.duckdb", dt.datetime(2026, 7, 1, 9, 0, tzinfo=dt.UTC)),
        plotly_js="/* plotly */",
    )
    assert not re.search(r"<script[^>]*\bsrc=", page) and "<link" not in page
    embedded = report.embedded_figures(page)
    assert list(embedded) == list(figs)
    assert embedded["top-teams"]["data"][0]["y"] == ["Web", "</script><b>Ops"]
    assert "finished 2026-07-01 06:30 UTC (demo API, run cc4b5772)" in page
    assert "Data as of <b>2026-06-30 00:00 UTC</b>" in page
    assert ">43.6%<" in page and ">1,254<" in page and ">435<" in page


def test_header_without_any_run() -> None:
    text = report.render_header({**HEADER, "last_run": None}, "/w", dt.datetime.now(dt.UTC))
    assert "none recorded in ops.elt_runs" in text


def test_default_plotly_js_is_inlined() -> None:
    page = report.render_html({}, "")
    assert len(page) > 1_000_000 and "Plotly" in page
    assert not re.search(r"<script[^>]*\bsrc=", page)
