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
from pathlib import Path
from typing import Any

import duckdb
import plotly.graph_objects as go

from analyst import queries
from analyst.charts import ReportData, build_figures
from analyst.warehouse import WarehouseUnavailable, connect_read_only, first_line
from ingestion.arguments import NEW_FILE, ArgumentParser, typed

TOP_TEAMS = 10


def load_report_data(con: duckdb.DuckDBPyConnection) -> ReportData:
    """Run the report's queries (all in `queries`) against the marts."""
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
"""

DRAW = """
document.querySelectorAll('script[type="application/json"][id^="fig-"]').forEach(function (s) {
  var fig = JSON.parse(s.textContent);
  Plotly.newPlot(s.id.slice(4), fig.data, fig.layout,
                 {responsive: true, displaylogo: false});
});
"""

WIDE = {"incidents-per-week", "resolve-times", "sla-breach-rate"}


def render_html(
    figures: dict[str, go.Figure], header_html: str, plotly_js: str | None = None
) -> str:
    """The whole page. `plotly_js` defaults to the installed plotly.js bundle, inlined."""
    if plotly_js is None:
        from plotly.offline import get_plotlyjs

        plotly_js = get_plotlyjs()
    blocks = []
    for name, fig in figures.items():
        cls = "chart wide" if name in WIDE else "chart"
        blocks.append(
            f'<section class="{cls}"><div id="{name}"></div>'
            f'<script type="application/json" id="fig-{name}">{figure_json(fig)}</script>'
            "</section>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>Incident analytics report</title>"
        f"<style>{STYLE}</style>"
        f'<script type="text/javascript">{plotly_js}</script></head><body>'
        f'{header_html}<main class="grid">{"".join(blocks)}</main>'
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
        build_figures(data), render_header(header, duckdb_path, now or dt.datetime.now(dt.UTC))
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
