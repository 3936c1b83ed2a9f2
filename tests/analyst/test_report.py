"""The report's figures from literal rows, and a page that needs no network to open."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace

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


# --- the alerts and follow-ups sections ------------------------------------------------------
M1, M2 = dt.date(2026, 1, 1), dt.date(2026, 2, 1)
AS_OF = dt.datetime(2026, 7, 1, 6, 0)
FULL = replace(
    DATA,
    alert_totals={
        "alerts_loaded": 12,
        "alerts_without_start": 2,
        "median_minutes_open": 19.5,
        "alerts": 10,
        "alerts_noise": 3,
        "alerts_classified": 8,
        "alerts_became_incident": 2,
        "alerts_open": 1,
        "noise_share": 0.375,
        "became_incident_share": 0.2,
        "first_day": dt.date(2026, 1, 6),
        "last_day": dt.date(2026, 1, 14),
    },
    alerts_per_week=[
        {
            "week_start": W1,
            "alerts": 6,
            "noise": 3,
            "not_noise": 2,
            "unclassified": 1,
            "classified": 5,
            "became_incident": 2,
            "noise_share": 0.6,
            "became_incident_share": 1 / 3,
        },
        {
            "week_start": W2,
            "alerts": 4,
            "noise": 0,
            "not_noise": 3,
            "unclassified": 1,
            "classified": 3,
            "became_incident": 0,
            "noise_share": 0.0,
            "became_incident_share": 0.0,
        },
    ],
    alert_minutes_by_urgency=[
        {
            "urgency": "none",
            "alerts": 1,
            "alerts_ended": 0,
            "alerts_open": 1,
            "median_minutes_open": None,
        },
        {
            "urgency": "Low",
            "alerts": 4,
            "alerts_ended": 4,
            "alerts_open": 0,
            "median_minutes_open": 12.0,
        },
        {
            "urgency": "High",
            "alerts": 5,
            "alerts_ended": 5,
            "alerts_open": 0,
            "median_minutes_open": 30.0,
        },
    ],
    alert_sources=[
        {
            "source": "datadog",
            "alerts": 7,
            "noise": 3,
            "not_noise": 3,
            "unclassified": 1,
            "classified": 6,
            "noise_share": 0.5,
            "became_incident_share": 2 / 7,
        },
        {
            "source": "email",
            "alerts": 3,
            "noise": 0,
            "not_noise": 0,
            "unclassified": 3,
            "classified": 0,
            "noise_share": None,
            "became_incident_share": 0.0,
        },
    ],
    follow_up_totals={
        "as_of": AS_OF,
        "follow_ups": 20,
        "follow_ups_open": 9,
        "follow_ups_overdue": 7,
        "follow_ups_done": 8,
        "follow_ups_cancelled": 3,
        "follow_up_completion_rate": 8 / 17,
        "median_days_to_complete": 4.25,
    },
    retrospective_totals={
        "as_of": AS_OF,
        "incidents_resolved": 10,
        "incidents_resolved_with_retrospective": 4,
        "retrospective_rate": 0.4,
        "retrospectives": 4,
        "retrospectives_published": 3,
        "resolved_with_published_retrospective": 3,
        "median_days_to_published_retrospective": 2.5,
    },
    follow_through_monthly=[
        {
            "month_start": M1,
            "incidents": 6,
            "follow_ups": 10,
            "follow_ups_done": 5,
            "follow_up_completion_rate": 0.5,
            "incidents_resolved": 6,
            "incidents_resolved_with_retrospective": 3,
            "retrospective_rate": 0.5,
        },
        {
            "month_start": M2,
            "incidents": 4,
            "follow_ups": 0,
            "follow_ups_done": 0,
            "follow_up_completion_rate": None,
            "incidents_resolved": 4,
            "incidents_resolved_with_retrospective": 1,
            "retrospective_rate": 0.25,
        },
    ],
    retrospective_days=[{"month_start": M1, "retrospectives_published": 3, "median_days": 2.5}],
    overdue_by_team=[
        {"team_id": "1", "team_name": "Ops", "overdue": 5, "open": 6},
        {"team_id": None, "team_name": "no team listed", "overdue": 2, "open": 3},
    ],
    overdue_by_service=[{"service_id": "s", "service_name": "API", "overdue": 7, "open": 9}],
)


def render(data: ReportData) -> str:
    return report.render_html(
        build_figures(data),
        report.render_header(HEADER, "/w.duckdb", dt.datetime(2026, 7, 1, tzinfo=dt.UTC)),
        plotly_js="/* plotly */",
        sections=report.build_sections(data),
    )


def kpi(page: str, label: str) -> str:
    found = re.findall(
        rf'<div class="v">([^<]*)</div><div class="l">{re.escape(label)}</div>', page
    )
    assert len(found) == 1, (label, found)
    return found[0]


def test_alert_and_follow_up_figures_hold_the_rows() -> None:
    figs = build_figures(FULL)
    weekly = traces(figs["alerts-per-week"])
    assert list(weekly) == ["noise", "not noise", "unclassified"]
    assert weekly["not noise"] == {"x": ["2026-01-05", "2026-01-12"], "y": [2, 3]}
    shares = traces(figs["alert-shares"])
    assert shares["noise share"]["y"] == [0.6, 0.0]
    assert shares["became an incident"]["y"] == [1 / 3, 0.0]
    # urgencies most urgent first, `none` last; an urgency with no ended alert has no bar
    assert traces(figs["alert-minutes-open"])["median minutes open"] == {
        "x": ["High", "Low", "none"],
        "y": [30.0, 12.0, None],
    }
    sources = traces(figs["alert-sources"])  # most alerts on top, noise share in the label
    assert sources["noise"] == {"x": [0, 3], "y": ["email (n/a noise)", "datadog (50% noise)"]}
    rates = traces(figs["follow-through-rates"])
    assert rates["follow-ups done"]["y"] == [0.5, None]
    assert rates["resolved with a retrospective"]["y"] == [0.5, 0.25]
    assert traces(figs["retrospective-days"])["median days"]["y"] == [2.5]
    teams = traces(figs["overdue-by-team"])
    assert teams["overdue"] == {"x": [2, 5], "y": ["no team listed", "Ops"]}
    assert teams["open, not overdue"]["x"] == [1, 1]
    assert traces(figs["overdue-by-service"])["overdue"]["x"] == [7]


def test_sections_show_their_kpis_definitions_and_charts() -> None:
    page = render(FULL)
    assert re.findall(r"<h2>([^<]*)</h2>", page) == [
        "Incidents",
        "Alerts",
        "Follow-ups and retrospectives",
    ]
    assert list(report.embedded_figures(page)) == list(build_figures(FULL))
    alerts = page[page.index('id="section-alerts"') : page.index('id="section-follow-ups"')]
    assert kpi(alerts, "noise share") == "37.5%" and kpi(alerts, "alerts started") == "10"
    assert kpi(alerts, "became an incident") == "20.0%" and kpi(alerts, "still open") == "1"
    assert "(noise or not noise: 3 of 8)" in alerts and "(<code>became_incident</code>)" in alerts
    assert "2 alerts without a start time are in no figure" in alerts
    assert all(f'id="fig-{n}"' in alerts for n in ("alerts-per-week", "alert-sources"))
    follow = page[page.index('id="section-follow-ups"') :]
    assert "As of <b>2026-07-01 06:00 UTC</b>" in follow
    assert kpi(follow, "overdue follow-ups") == "7" and kpi(follow, "open follow-ups") == "9"
    assert kpi(follow, "follow-up completion rate") == "47.1%"
    assert kpi(follow, "retrospective rate") == "40.0%"
    assert kpi(follow, "median days to published retrospective") == "2.5"
    assert "done / not cancelled (8 of 17)" in follow
    # every chart has a caption with its definition
    for name in build_figures(FULL):
        assert re.search(rf'id="fig-{name}">.*?</script><p class="caption">', page, re.S), name


def test_sections_without_data_say_so() -> None:
    empty = replace(
        DATA,
        alert_totals={"alerts_loaded": 0, "alerts": 0, "noise_share": None},
        follow_up_totals={"as_of": AS_OF, "follow_ups": 0},
        retrospective_totals={"as_of": AS_OF, "retrospectives": 0},
    )
    page = render(empty)
    assert list(report.embedded_figures(page)) == list(build_figures(DATA))  # incidents only
    assert "No alerts in this warehouse yet: <code>marts.fct_alerts</code> is empty." in page
    assert "No follow-ups and no retrospectives as of 2026-07-01 06:00 UTC" in page
    only_unstarted = ReportData(alert_totals={"alerts_loaded": 3, "alerts": 0})
    assert "3 alerts loaded, none with a start time" in render(only_unstarted)


def test_sections_whose_marts_are_not_built_say_so() -> None:
    page = render(ReportData(missing=("fct_alerts", "fct_follow_ups")))
    alerts = page[page.index('id="section-alerts"') : page.index('id="section-follow-ups"')]
    assert "Not in this warehouse yet: <code>marts.fct_alerts</code>." in alerts
    assert "Not in this warehouse yet: <code>marts.fct_follow_ups</code>." in page
    assert not any(
        n.startswith(("alert", "follow", "overdue")) for n in report.embedded_figures(page)
    )
