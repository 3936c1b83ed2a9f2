"""The report's charts as plotly figures, built from plain rows (no database here).

Pure functions of `ReportData`, so a test can check that each trace holds the marts'
numbers, and the HTML page embeds exactly these figures' JSON.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

# Severity order and colours: most severe first, a red-to-blue scale, grey for no severity.
SEVERITY_ORDER = ("critical", "high", "medium", "low", "none")
SEVERITY_COLORS = {
    "critical": "#b2182b",
    "high": "#ef8a62",
    "medium": "#e6c229",
    "low": "#4393c3",
    "none": "#9e9e9e",
}
ACCENT = "#2b4c7e"
FONT = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class ReportData:
    """What the report shows, as rows from `analyst.queries`."""

    incidents_per_week: list[dict[str, Any]] = field(default_factory=list)
    resolve_times: list[dict[str, Any]] = field(default_factory=list)
    sla_targets: dict[str, float] = field(default_factory=dict)
    breach_rate: list[dict[str, Any]] = field(default_factory=list)
    top_teams: list[dict[str, Any]] = field(default_factory=list)
    dashboards_per_team: list[dict[str, Any]] = field(default_factory=list)


def severity_levels(levels: set[str], targets: dict[str, float] | None = None) -> list[str]:
    """Known levels in severity order, then unknown ones (a new level in the seed still shows)."""
    known = [s for s in SEVERITY_ORDER if s in levels]
    extra = sorted(levels - set(SEVERITY_ORDER), key=lambda s: ((targets or {}).get(s, 1e18), s))
    return known[:-1] + extra + known[-1:] if known and known[-1] == "none" else known + extra


def _style(fig: go.Figure, title: str, height: int) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0.01, "font": {"size": 17}},
        template="plotly_white",
        height=height,
        margin={"l": 60, "r": 20, "t": 60, "b": 45},
        font={"family": FONT, "size": 12},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 1, "xanchor": "right"},
        hovermode="x unified",
    )
    return fig


def _color(level: str) -> str:
    return SEVERITY_COLORS.get(level, "#7f3b08")


def incidents_per_week(data: ReportData) -> go.Figure:
    """Stacked weekly counts, one bar segment per severity (weeks start on Monday)."""
    fig = go.Figure()
    for level in severity_levels({r["severity_level"] for r in data.incidents_per_week}):
        rows = [r for r in data.incidents_per_week if r["severity_level"] == level]
        fig.add_bar(
            name=level,
            x=[str(r["week_start"]) for r in rows],
            y=[int(r["incidents"]) for r in rows],
            marker_color=_color(level),
        )
    fig.update_layout(barmode="stack", bargap=0.15, legend={"traceorder": "normal"})
    fig.update_yaxes(title_text="incidents started")
    fig.update_xaxes(title_text="week (starting Monday, UTC)")
    return _style(fig, "Incidents per week by severity", 380)


def resolve_times(data: ReportData) -> go.Figure:
    """One panel per severity: monthly median and p90 minutes to resolve against the SLA target."""
    levels = [
        s
        for s in severity_levels(
            {r["severity_level"] for r in data.resolve_times}, data.sla_targets
        )
        if s != "none"
    ] or ["critical"]
    cols = 2
    rows_n = max(1, -(-len(levels) // cols))
    fig = make_subplots(
        rows=rows_n,
        cols=cols,
        subplot_titles=[
            f"{s} (SLA {data.sla_targets[s]:g} min)" if s in data.sla_targets else s for s in levels
        ],
        vertical_spacing=0.16,
        horizontal_spacing=0.08,
    )
    for i, level in enumerate(levels):
        row, col = i // cols + 1, i % cols + 1
        rows = [r for r in data.resolve_times if r["severity_level"] == level]
        x = [str(r["month_start"]) for r in rows]
        counts = [int(r["incidents_resolved"]) for r in rows]
        first = i == 0
        for key, label, dash in (
            ("median_minutes", "median", "solid"),
            ("p90_minutes", "p90", "dot"),
        ):
            fig.add_scatter(
                x=x,
                y=[r[key] for r in rows],
                customdata=counts,
                name=label,
                legendgroup=label,
                showlegend=first,
                mode="lines+markers",
                line={"color": _color(level), "dash": dash, "width": 2},
                hovertemplate=f"{label} %{{y:,.0f}} min (%{{customdata}} resolved)<extra></extra>",
                row=row,
                col=col,
            )
        if level in data.sla_targets and x:
            fig.add_scatter(
                x=x,
                y=[data.sla_targets[level]] * len(x),
                name="SLA target",
                legendgroup="sla",
                showlegend=first,
                mode="lines",
                line={"color": "#555555", "dash": "dash", "width": 1},
                hovertemplate="SLA target %{y:,.0f} min<extra></extra>",
                row=row,
                col=col,
            )
        fig.update_yaxes(
            title_text="minutes" if col == 1 else None, rangemode="tozero", row=row, col=col
        )
    _style(
        fig, "Minutes to resolve by severity: median and p90 per month of start", 280 * rows_n + 110
    )
    # room between the title and the panels, so the legend clears the panel titles
    fig.update_layout(margin={"t": 105}, legend={"y": 1.0 + 55 / (280 * rows_n)})
    return fig


def breach_rate(data: ReportData) -> go.Figure:
    """Weekly share of resolved incidents with a target that took longer than the target."""
    rows = data.breach_rate
    fig = go.Figure(
        go.Scatter(
            name="SLA breach rate",
            x=[str(r["week_start"]) for r in rows],
            y=[r["breach_rate"] for r in rows],
            customdata=[[int(r["breached"]), int(r["resolved_with_target"])] for r in rows],
            mode="lines+markers",
            line={"color": ACCENT, "width": 2},
            hovertemplate="%{y:.0%} (%{customdata[0]} of %{customdata[1]})<extra></extra>",
        )
    )
    fig.update_yaxes(
        title_text="breached / resolved with target", tickformat=".0%", rangemode="tozero"
    )
    fig.update_xaxes(title_text="week of start (starting Monday, UTC)")
    return _style(fig, "SLA breach rate per week", 320)


def top_teams(data: ReportData) -> go.Figure:
    """Horizontal bars, most on top: countable incidents, each counted for every listed team."""
    rows = list(reversed(data.top_teams))
    fig = go.Figure(
        go.Bar(
            name="incidents",
            orientation="h",
            y=[r["team_name"] for r in rows],
            x=[int(r["incidents"]) for r in rows],
            marker_color=ACCENT,
            text=[int(r["incidents"]) for r in rows],
            textposition="auto",
        )
    )
    fig.update_xaxes(title_text="countable incidents listing the team")
    fig.update_layout(hovermode="y")
    return _style(fig, f"Teams with the most incidents (top {len(rows)})", 420)


def dashboards_per_team(data: ReportData) -> go.Figure:
    """Stacked horizontal bars: dashboards that exist, and those deleted upstream."""
    rows = list(reversed(data.dashboards_per_team))
    fig = go.Figure()
    for key, label, color in (
        ("dashboards", "existing", "#5aae61"),
        ("deleted_dashboards", "deleted", "#c2a5cf"),
    ):
        fig.add_bar(
            name=label,
            orientation="h",
            y=[r["team_name"] for r in rows],
            x=[int(r[key]) for r in rows],
            marker_color=color,
        )
    fig.update_layout(barmode="stack", hovermode="y unified")
    fig.update_xaxes(title_text="dashboards")
    return _style(fig, "Dashboards per team", 420)


CHARTS = {
    "incidents-per-week": incidents_per_week,
    "resolve-times": resolve_times,
    "sla-breach-rate": breach_rate,
    "top-teams": top_teams,
    "dashboards-per-team": dashboards_per_team,
}


def build_figures(data: ReportData) -> dict[str, go.Figure]:
    """Every chart of the report, keyed by the id its element gets in the page."""
    return {name: build(data) for name, build in CHARTS.items()}
