"""`just report`: one self-contained HTML file with charts of the marts.

Self-contained means it opens offline, mailed or archived: plotly.js is inlined (no
`<script src=...>`), and each figure's JSON sits in a `<script type="application/json">`
block that a few lines of inline JS draw, which also lets tests read back what is shown.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go

from analyst import queries
from analyst.charts import (
    ALERT_CHARTS,
    FOLLOW_UP_CHARTS,
    INCIDENT_CHARTS,
    ReportData,
    build_figures,
    percent,
)
from analyst.warehouse import WarehouseUnavailable, connect_read_only, first_line
from ingestion.arguments import NEW_FILE, ArgumentParser, typed

TOP_TEAMS = 10
TOP_ALERT_SOURCES = 10
TOP_OVERDUE = 10


def load_report_data(con: duckdb.DuckDBPyConnection) -> ReportData:
    """Run the report's queries (all in `queries`) against the marts.

    The alerts and follow-ups sections read marts that an older warehouse may not have yet:
    their queries run only when every mart they read exists (`ReportData.missing` says which
    do not, and the page says so in their place).
    """
    marts = set(queries.mart_names(con))
    missing = tuple(m for m in (*queries.ALERT_MARTS, *queries.FOLLOW_UP_MARTS) if m not in marts)
    alerts: dict[str, Any] = {}
    if not set(queries.ALERT_MARTS) & set(missing):
        alerts = {
            "alert_totals": queries.records(con, queries.ALERT_TOTALS)[0],
            "alerts_per_week": queries.records(con, queries.ALERTS_PER_WEEK),
            "alert_minutes_by_urgency": queries.records(con, queries.ALERT_MINUTES_OPEN_BY_URGENCY),
            "alert_sources": queries.records(con, queries.TOP_ALERT_SOURCES, [TOP_ALERT_SOURCES]),
        }
    follow_ups: dict[str, Any] = {}
    if not set(queries.FOLLOW_UP_MARTS) & set(missing):
        follow_ups = {
            "follow_up_totals": queries.records(con, queries.FOLLOW_UP_TOTALS)[0],
            "retrospective_totals": queries.records(con, queries.RETROSPECTIVE_TOTALS)[0],
            "follow_through_monthly": queries.records(con, queries.FOLLOW_THROUGH_PER_MONTH),
            "retrospective_days": queries.records(con, queries.DAYS_TO_RETROSPECTIVE_PER_MONTH),
            "overdue_by_team": queries.records(
                con, queries.OVERDUE_FOLLOW_UPS_BY_TEAM, [TOP_OVERDUE]
            ),
            "overdue_by_service": queries.records(
                con, queries.OVERDUE_FOLLOW_UPS_BY_SERVICE, [TOP_OVERDUE]
            ),
        }
    return ReportData(
        incidents_per_week=queries.records(con, queries.INCIDENTS_PER_WEEK),
        resolve_times=queries.records(con, queries.RESOLVE_TIMES_PER_MONTH),
        sla_targets={
            r["severity_level"]: float(r["sla_target_minutes"])
            for r in queries.records(con, queries.SLA_TARGETS)
        },
        breach_rate=queries.records(con, queries.SLA_BREACH_RATE_PER_WEEK),
        top_teams=queries.records(con, queries.TOP_TEAMS, [TOP_TEAMS]),
        dashboards_per_team=queries.records(con, queries.DASHBOARDS_PER_TEAM),
        missing=missing,
        **alerts,
        **follow_ups,
    )


def load_header(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """As-of facts for the header: the data's newest change, the period, KPIs, the last run."""
    header = queries.records(con, queries.DATA_AS_OF)[0]
    row = con.execute(queries.OVERALL_BREACH_RATE).fetchone()
    header["sla_breach_rate"] = row[0] if row else None
    header["last_run"] = queries.last_run(con)
    return header


def utc_text(value: Any) -> str:
    """A timestamp as `YYYY-MM-DD HH:MM UTC`; naive values are UTC already (the marts' rule)."""
    if value is None:
        return "n/a"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return str(value)


def figure_json(fig: go.Figure) -> str:
    """The figure as JSON safe inside a script element (`</` cannot close it)."""
    return fig.to_json().replace("</", "<\\/")


def _kpi(label: str, value: str) -> str:
    return (
        f'<div class="kpi"><div class="v">{html.escape(value)}</div>'
        f'<div class="l">{html.escape(label)}</div></div>'
    )


def render_header(header: dict[str, Any], warehouse: str, generated_at: dt.datetime) -> str:
    run = header.get("last_run")
    if run:
        run_text = (
            f"Last successful ELT run: finished {utc_text(run['finished_at'])}"
            f" ({run['source']}, run {str(run['run_id'])[:8]}"
            f"{', full refresh' if run.get('full_refresh') else ''})"
        )
    else:
        run_text = "Last successful ELT run: none recorded in ops.elt_runs"
    median = header.get("median_minutes_to_resolve")
    rate = header.get("sla_breach_rate")
    kpis = "".join(
        [
            _kpi("countable incidents", f"{header.get('countable_incidents') or 0:,}"),
            _kpi("median minutes to resolve", "n/a" if median is None else f"{median:,.0f}"),
            _kpi("SLA breach rate", "n/a" if rate is None else f"{rate:.1%}"),
        ]
    )
    return (
        "<header><h1>Incident analytics report</h1>"
        f"<p>Data as of <b>{html.escape(utc_text(header.get('newest_change')))}</b>"
        " (newest incident change in <code>marts.fct_incidents</code>); incidents started"
        f" {html.escape(str(header.get('first_day')))} to"
        f" {html.escape(str(header.get('last_day')))}.</p>"
        f"<p>{html.escape(run_text)}.</p>"
        f'<div class="kpis">{kpis}</div></header>'
        f'<p class="note">Generated {html.escape(utc_text(generated_at))} by <code>just report'
        f"</code> from {html.escape(warehouse)}. Countable incidents only (normal, normal_sub,"
        " backfilled); metric definitions: <code>just docs</code>.</p>"
    )


def _number(value: Any, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _marts(names: tuple[str, ...]) -> str:
    return ", ".join(f"<code>marts.{n}</code>" for n in names)


@dataclass(frozen=True)
class Section:
    """A titled part of the page: KPIs and definitions, then its charts or why there are none."""

    id: str
    title: str
    charts: tuple[str, ...]
    intro: str = ""  # HTML
    empty: str = ""  # HTML shown instead of the charts; "" when there are charts


# Each chart's caption: what is counted, from which mart, with the marts' definitions.
CAPTIONS = {
    "incidents-per-week": "Countable incidents started per week (Monday, UTC) by severity:"
    " <code>incident_metrics_daily.incidents_started</code> summed over the week.",
    "resolve-times": "Median and p90 (interpolated) <code>minutes_to_resolve</code> of the"
    " countable resolved incidents of <code>fct_incidents</code>, per UTC month of start;"
    " dashed: the severity's SLA target.",
    "sla-breach-rate": "Incidents that breached their SLA target / incidents resolved with a"
    " target, each summed over the week's days of <code>incident_metrics_daily</code> (a ratio"
    " of sums, not a mean of daily rates); no point when none was resolved with a target.",
    "top-teams": "Countable incidents listing the team, summed over the months of"
    " <code>team_incident_summary</code> (an incident listing several teams counts for each).",
    "dashboards-per-team": "Dashboards per owning team in <code>dim_dashboards</code>: existing,"
    " and deleted upstream; team names from <code>dim_teams</code>.",
    "alerts-per-week": "Alerts started per week (Monday, UTC) by classification, summed over"
    " <code>alert_metrics_daily</code>: noise (<code>alerts_noise</code>), not noise"
    " (<code>alerts_classified - alerts_noise</code>) and unclassified"
    " (<code>alerts - alerts_classified</code>: the API's <code>noise</code> is null).",
    "alert-shares": "Per week: noise share = noise / classified alerts (unclassified ones in"
    " neither count); became-an-incident share = alerts that became an incident / all alerts."
    " Each a ratio of the week's sums of <code>alert_metrics_daily</code>; no point when the"
    " denominator is 0.",
    "alert-minutes-open": "Median (interpolated) <code>fct_alerts.minutes_open</code>"
    " (<code>started_at</code> to <code>ended_at</code>) of the alerts of each urgency that have"
    " ended; alerts still open as of the load are left out (hover: ended and still-open counts)."
    " <code>none</code>: alerts without an urgency.",
    "alert-sources": f"The (up to) {TOP_ALERT_SOURCES} sources (integration type) with the most"
    " alerts, stacked by classification; the label's noise share = noise / classified alerts"
    " of the source over all days of <code>alert_metrics_daily</code>.",
    "follow-through-rates": "Per UTC month of the incident's start, each countable incident"
    " once (<code>incident_follow_through</code> joined to <code>fct_incidents</code>):"
    " completion rate = follow-ups <code>done</code> / follow-ups not cancelled of the month's"
    " incidents; retrospective rate = resolved incidents with a retrospective (draft or"
    " published) / resolved incidents. <code>team_incident_summary</code> has the same rates"
    " per team, where an incident counts for each team it lists.",
    "retrospective-days": "Median (interpolated)"
    " <code>incident_follow_through.days_to_published_retrospective</code> (days from"
    " <code>resolved_at</code> to the retrospective's publication) of the countable incidents"
    " with a published retrospective, per UTC month of resolution (hover: how many).",
    "overdue-by-team": f"Open countable follow-ups (<code>fct_follow_ups</code>) of the (up to)"
    f" {TOP_OVERDUE} teams with the most overdue ones, by the teams their incident lists"
    " (<code>bridge_incident_teams</code>; an item counts for each listed team;"
    " <code>no team listed</code>: incidents listing none).",
    "overdue-by-service": f"As for teams: open countable follow-ups of the (up to) {TOP_OVERDUE}"
    " services with the most overdue ones, by the services their incident lists"
    " (<code>bridge_incident_services</code>).",
}


def alerts_section(data: ReportData) -> Section:
    t = data.alert_totals
    missing = tuple(m for m in queries.ALERT_MARTS if m in data.missing)
    if missing:
        empty = f"Not in this warehouse yet: {_marts(missing)}. Run <code>just elt</code>."
        return Section("alerts", "Alerts", (), empty=f'<p class="empty">{empty}</p>')
    if not data.has_alerts:
        loaded = t.get("alerts_loaded") or 0
        empty = (
            "No alerts in this warehouse yet: <code>marts.fct_alerts</code> is empty."
            if not loaded
            else f"{loaded:,} alerts loaded, none with a start time: no figure counts them."
        )
        return Section("alerts", "Alerts", (), empty=f'<p class="empty">{empty}</p>')
    kpis = "".join(
        [
            _kpi("alerts started", _number(t["alerts"])),
            _kpi("noise share", percent(t["noise_share"], 1)),
            _kpi("became an incident", percent(t["became_incident_share"], 1)),
            _kpi("still open", _number(t["alerts_open"])),
            _kpi("median minutes open", _number(t["median_minutes_open"])),
        ]
    )
    without = t.get("alerts_without_start") or 0
    intro = (
        f"<p>Alerts that started {html.escape(str(t['first_day']))} to"
        f" {html.escape(str(t['last_day']))} (UTC), in their state as of the latest load, from"
        f" {_marts(queries.ALERT_MARTS)}. Noise share = alerts classified noise / alerts"
        f" classified (noise or not noise: {t['alerts_noise']:,} of"
        f" {t['alerts_classified']:,}); unclassified alerts are in neither count. Became an"
        f" incident = alerts that name a loaded incident not deleted upstream"
        f" (<code>became_incident</code>) / all alerts ({t['alerts_became_incident']:,} of"
        f" {t['alerts']:,}). Still open = no end and not resolved as of the load. Median minutes"
        " open: interpolated, over the alerts that have ended."
        + (f" {without:,} alerts without a start time are in no figure." if without else "")
        + f'</p><div class="kpis">{kpis}</div>'
    )
    return Section("alerts", "Alerts", tuple(ALERT_CHARTS), intro=intro)


def follow_ups_section(data: ReportData) -> Section:
    title = "Follow-ups and retrospectives"
    missing = tuple(m for m in queries.FOLLOW_UP_MARTS if m in data.missing)
    if missing:
        empty = f"Not in this warehouse yet: {_marts(missing)}. Run <code>just elt</code>."
        return Section("follow-ups", title, (), empty=f'<p class="empty">{empty}</p>')
    f, r = data.follow_up_totals, data.retrospective_totals
    as_of = html.escape(utc_text(f.get("as_of") or r.get("as_of")))
    if not data.has_follow_through:
        empty = (
            f"No follow-ups and no retrospectives as of {as_of}: <code>marts.fct_follow_ups</code>"
            " has no countable item and no incident of <code>marts.incident_follow_through</code>"
            " has a retrospective."
        )
        return Section("follow-ups", title, (), empty=f'<p class="empty">{empty}</p>')
    kpis = "".join(
        [
            _kpi("open follow-ups", _number(f["follow_ups_open"])),
            _kpi("overdue follow-ups", _number(f["follow_ups_overdue"])),
            _kpi("follow-up completion rate", percent(f["follow_up_completion_rate"], 1)),
            _kpi("retrospective rate", percent(r["retrospective_rate"], 1)),
            _kpi(
                "median days to published retrospective",
                _number(r["median_days_to_published_retrospective"], 1),
            ),
        ]
    )
    intro = (
        f"<p>As of <b>{as_of}</b>: when the newest completed load finished"
        " (<code>as_of</code>), not the report's clock. Follow-ups are the countable action items"
        " of <code>marts.fct_follow_ups</code> (tasks and follow-ups, not deleted upstream, their"
        f" incident not deleted upstream): {f['follow_ups']:,}. Open = <code>open</code> or"
        " <code>in_progress</code>; overdue = open with a due date before the as-of day."
        f" Completion rate = done / not cancelled ({f['follow_ups_done']:,} of"
        f" {f['follow_ups'] - f['follow_ups_cancelled']:,}); median days to complete"
        f" {_number(f['median_days_to_complete'], 1)} (created to done). Retrospective rate ="
        " countable resolved incidents with a retrospective (draft or published) / countable"
        f" resolved incidents ({r['incidents_resolved_with_retrospective']:,} of"
        f" {r['incidents_resolved']:,}, <code>marts.incident_follow_through</code>). Days to"
        " published retrospective: from the incident's resolution to the retrospective's"
        " publication, median (interpolated) over the"
        f" {r['resolved_with_published_retrospective']:,} countable incidents that have one."
        f'</p><div class="kpis">{kpis}</div>'
    )
    return Section("follow-ups", title, tuple(FOLLOW_UP_CHARTS), intro=intro)


def build_sections(data: ReportData) -> list[Section]:
    """The page's sections in order: incidents, alerts, follow-ups and retrospectives."""
    return [
        Section("incidents", "Incidents", tuple(INCIDENT_CHARTS)),
        alerts_section(data),
        follow_ups_section(data),
    ]


STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;
margin:0 auto;max-width:1240px;padding:16px 20px;color:#222;background:#fff}
h1{font-size:24px;margin:4px 0 8px}header p{margin:4px 0}
.kpis{display:flex;gap:12px;margin:10px 0 4px}
.kpi{border:1px solid #dde3ea;border-radius:6px;padding:8px 14px;min-width:150px}
.kpi .v{font-size:22px;font-weight:600;color:#2b4c7e}.kpi .l{font-size:12px;color:#555}
.note{font-size:12px;color:#666;margin:6px 0 10px}
.grid{display:grid;grid-template-columns:1fr 1fr;gap:10px}
.chart{border-top:1px solid #eee;padding-top:4px}.wide{grid-column:1 / span 2}
h2{font-size:20px;margin:22px 0 6px;border-bottom:2px solid #2b4c7e;padding-bottom:2px}
.part p{margin:4px 0}.caption{font-size:12px;color:#555;margin:2px 6px 8px}
.empty{font-style:italic;color:#555}
"""

DRAW = """
document.querySelectorAll('script[type="application/json"][id^="fig-"]').forEach(function (s) {
  var fig = JSON.parse(s.textContent);
  Plotly.newPlot(s.id.slice(4), fig.data, fig.layout,
                 {responsive: true, displaylogo: false});
});
"""

WIDE = {
    "incidents-per-week",
    "resolve-times",
    "sla-breach-rate",
    "alerts-per-week",
    "alert-shares",
    "follow-through-rates",
}


def _chart(name: str, fig: go.Figure) -> str:
    cls = "chart wide" if name in WIDE else "chart"
    caption = CAPTIONS.get(name)
    return (
        f'<section class="{cls}"><div id="{name}"></div>'
        f'<script type="application/json" id="fig-{name}">{figure_json(fig)}</script>'
        + (f'<p class="caption">{caption}</p>' if caption else "")
        + "</section>"
    )


def render_html(
    figures: dict[str, go.Figure],
    header_html: str,
    plotly_js: str | None = None,
    sections: list[Section] | None = None,
) -> str:
    """The whole page. `plotly_js` defaults to the installed plotly.js bundle, inlined.

    Each section shows its KPIs and definitions, then its charts (the figures it names) or
    why it has none; figures no section names follow in a last, untitled grid.
    """
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    parts = []
    placed: set[str] = set()
    for section in sections or []:
        names = [n for n in section.charts if n in figures]
        placed.update(names)
        grid = "".join(_chart(n, figures[n]) for n in names)
        parts.append(
            f'<section class="part" id="section-{section.id}">'
            f"<h2>{html.escape(section.title)}</h2>{section.intro}"
            + (f'<div class="grid">{grid}</div>' if grid else section.empty)
            + "</section>"
        )
    rest = "".join(_chart(n, fig) for n, fig in figures.items() if n not in placed)
    if rest:
        parts.append(f'<div class="grid">{rest}</div>')
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Incident analytics report</title>"
        f"<style>{STYLE}</style>"
        f'<script type="text/javascript">{plotly_js}</script></head><body>'
        f"{header_html}<main>{''.join(parts)}</main>"
        f"<script>{DRAW}</script></body></html>\n"
    )


def embedded_figures(page: str) -> dict[str, dict]:
    """The figure JSON a rendered page holds, keyed by chart id (for tests and tooling)."""
    found = re.findall(
        r'<script type="application/json" id="fig-([\w-]+)">(.*?)</script>', page, re.S
    )
    return {name: json.loads(body) for name, body in found}


def default_output(duckdb_path: str) -> str:
    """Beside the warehouse, so each deployment (and each test workspace) has its own."""
    return str(Path(duckdb_path).resolve().parent / "report.html")


def build_report(duckdb_path: str, output: str, now: dt.datetime | None = None) -> str:
    """Query, chart, render and write atomically; returns the path written."""
    with connect_read_only(duckdb_path) as con:
        if not queries.mart_names(con):
            raise WarehouseUnavailable(
                f"the warehouse {duckdb_path} has no marts yet: run `just elt` first"
            )
        data = load_report_data(con)
        header = load_header(con)
    page = render_html(
        build_figures(data),
        render_header(header, duckdb_path, now or dt.datetime.now(dt.UTC)),
        sections=build_sections(data),
    )
    target = Path(output)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(page, encoding="utf-8")
    os.replace(partial, target)
    return str(target)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The flags; a bad one raises `BadArguments` (one line, exit code 2)."""
    parser = ArgumentParser(
        prog="just report", description="Write one self-contained HTML report of the marts."
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        type=typed(NEW_FILE, "path"),
        help="where to write, in a folder that exists (default: report.html beside the warehouse)",
    )
    return parser.parse_args(argv)


def run(argv: list[str], duckdb_path: str) -> int:
    args = parse_args(argv)
    output = args.output or default_output(duckdb_path)
    try:
        path = build_report(duckdb_path, output)
    except WarehouseUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"report failed: {first_line(exc)}", file=sys.stderr)
        return 1
    size_mb = Path(path).stat().st_size / 1e6
    print(f"report written: {path} ({size_mb:.1f} MB, opens offline in any browser)")
    return 0
