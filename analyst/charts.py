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
    # marts the alerts and follow-ups sections read that the warehouse does not have
    missing: tuple[str, ...] = ()
    # alerts section (empty lists and dicts: no alerts, or the alert marts are not built)
    alert_totals: dict[str, Any] = field(default_factory=dict)
    alerts_per_week: list[dict[str, Any]] = field(default_factory=list)
    alert_minutes_by_urgency: list[dict[str, Any]] = field(default_factory=list)
    alert_sources: list[dict[str, Any]] = field(default_factory=list)
    # follow-ups and retrospectives section
    follow_up_totals: dict[str, Any] = field(default_factory=dict)
    retrospective_totals: dict[str, Any] = field(default_factory=dict)
    follow_through_monthly: list[dict[str, Any]] = field(default_factory=list)
    retrospective_days: list[dict[str, Any]] = field(default_factory=list)
    overdue_by_team: list[dict[str, Any]] = field(default_factory=list)
    overdue_by_service: list[dict[str, Any]] = field(default_factory=list)

    @property
    def has_alerts(self) -> bool:
        """Any alert with a start time in `alert_metrics_daily` (the alerts section's charts)."""
        return bool(self.alert_totals.get("alerts"))

    @property
    def has_follow_through(self) -> bool:
        """Any countable follow-up or retrospective (the follow-ups section's charts)."""
        return bool(
            self.follow_up_totals.get("follow_ups")
            or self.retrospective_totals.get("retrospectives")
        )


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


# Alert classification: how each alert counts in the noise share (unclassified: in neither).
CLASSIFICATION = (
    ("noise", "noise", "#d6604d"),
    ("not_noise", "not noise", "#4393c3"),
    ("unclassified", "unclassified", "#bdbdbd"),
)
URGENCY_ORDER = ("critical", "high", "medium", "low", "none")


def alerts_per_week(data: ReportData) -> go.Figure:
    """Stacked weekly alert counts by noise classification (weeks of start, Monday, UTC)."""
    rows = data.alerts_per_week
    fig = go.Figure()
    for key, label, color in CLASSIFICATION:
        fig.add_bar(
            name=label,
            x=[str(r["week_start"]) for r in rows],
            y=[int(r[key]) for r in rows],
            marker_color=color,
        )
    fig.update_layout(barmode="stack", bargap=0.15, legend={"traceorder": "normal"})
    fig.update_yaxes(title_text="alerts started")
    fig.update_xaxes(title_text="week (starting Monday, UTC)")
    return _style(fig, "Alerts per week by noise classification", 360)


def alert_shares(data: ReportData) -> go.Figure:
    """Weekly noise share and share that became an incident, each with its own denominator."""
    rows = data.alerts_per_week
    x = [str(r["week_start"]) for r in rows]
    fig = go.Figure()
    for key, num, den, label, color in (
        ("noise_share", "noise", "classified", "noise share", "#d6604d"),
        ("became_incident_share", "became_incident", "alerts", "became an incident", ACCENT),
    ):
        fig.add_scatter(
            name=label,
            x=x,
            y=[r[key] for r in rows],
            customdata=[[int(r[num]), int(r[den])] for r in rows],
            mode="lines+markers",
            line={"color": color, "width": 2},
            hovertemplate=f"{label} %{{y:.0%}} (%{{customdata[0]}} of %{{customdata[1]}})"
            "<extra></extra>",
        )
    fig.update_yaxes(title_text="share", tickformat=".0%", rangemode="tozero")
    fig.update_xaxes(title_text="week of start (starting Monday, UTC)")
    return _style(fig, "Noise share and share that became an incident, per week", 340)


def percent(value: float | None, digits: int = 0) -> str:
    """A share as a percentage, `n/a` when it has no denominator (NULL)."""
    return "n/a" if value is None else f"{value:.{digits}%}"


def urgency_key(name: str) -> tuple[float, str]:
    """Known urgencies most urgent first (case-insensitive), then others by name, `none` last."""
    rank = {u: i for i, u in enumerate(URGENCY_ORDER)}
    return rank.get(name.lower(), len(URGENCY_ORDER) - 1.5), name


def alert_minutes_open(data: ReportData) -> go.Figure:
    """Bars per urgency: median minutes open of the alerts that have ended."""
    rows = sorted(data.alert_minutes_by_urgency, key=lambda r: urgency_key(r["urgency"]))
    fig = go.Figure(
        go.Bar(
            name="median minutes open",
            x=[r["urgency"] for r in rows],
            y=[r["median_minutes_open"] for r in rows],
            customdata=[[int(r["alerts_ended"]), int(r["alerts_open"])] for r in rows],
            marker_color=ACCENT,
            text=[
                None if r["median_minutes_open"] is None else f"{r['median_minutes_open']:,.0f}"
                for r in rows
            ],
            textposition="auto",
            hovertemplate="%{y:,.1f} min (%{customdata[0]} ended, %{customdata[1]} still open)"
            "<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="median minutes open", rangemode="tozero")
    fig.update_xaxes(title_text="urgency")
    fig.update_layout(hovermode="x")
    return _style(fig, "Median minutes open by urgency (ended alerts)", 380)


def alert_sources(data: ReportData) -> go.Figure:
    """Horizontal stacked bars, most alerts on top, labelled with each source's noise share."""
    rows = list(reversed(data.alert_sources))
    labels = [f"{r['source']} ({percent(r['noise_share'])} noise)" for r in rows]
    fig = go.Figure()
    for key, label, color in CLASSIFICATION:
        fig.add_bar(
            name=label,
            orientation="h",
            y=labels,
            x=[int(r[key]) for r in rows],
            marker_color=color,
        )
    fig.update_layout(barmode="stack", hovermode="y unified")
    fig.update_xaxes(title_text="alerts")
    return _style(fig, f"Alert sources by volume (top {len(rows)}), with noise share", 380)


def follow_through_rates(data: ReportData) -> go.Figure:
    """Monthly follow-up completion rate and retrospective rate, each with its counts."""
    rows = data.follow_through_monthly
    x = [str(r["month_start"]) for r in rows]
    fig = go.Figure()
    for key, num, den, label, color in (
        (
            "follow_up_completion_rate",
            "follow_ups_done",
            "follow_ups",
            "follow-ups done",
            "#5aae61",
        ),
        (
            "retrospective_rate",
            "incidents_resolved_with_retrospective",
            "incidents_resolved",
            "resolved with a retrospective",
            ACCENT,
        ),
    ):
        fig.add_scatter(
            name=label,
            x=x,
            y=[r[key] for r in rows],
            customdata=[[int(r[num] or 0), int(r[den] or 0)] for r in rows],
            mode="lines+markers",
            line={"color": color, "width": 2},
            hovertemplate=f"{label} %{{y:.0%}} (%{{customdata[0]}} of %{{customdata[1]}})"
            "<extra></extra>",
        )
    fig.update_yaxes(title_text="share", tickformat=".0%", range=[0, 1.05])
    fig.update_xaxes(title_text="month of incident start (UTC)")
    return _style(fig, "Follow-up completion rate and retrospective rate per month", 340)


def retrospective_days(data: ReportData) -> go.Figure:
    """Monthly median days from resolution to the published retrospective."""
    rows = data.retrospective_days
    fig = go.Figure(
        go.Bar(
            name="median days",
            x=[str(r["month_start"]) for r in rows],
            y=[r["median_days"] for r in rows],
            customdata=[int(r["retrospectives_published"]) for r in rows],
            marker_color=ACCENT,
            hovertemplate="median %{y:,.1f} days (%{customdata} incidents)<extra></extra>",
        )
    )
    fig.update_yaxes(title_text="median days", rangemode="tozero")
    fig.update_xaxes(title_text="month of resolution (UTC)")
    return _style(fig, "Days from resolution to published retrospective (median)", 340)


def _overdue_bars(rows: list[dict[str, Any]], name_key: str, title: str) -> go.Figure:
    rows = list(reversed(rows))
    names = [r[name_key] for r in rows]
    fig = go.Figure()
    for label, values, color in (
        ("overdue", [int(r["overdue"]) for r in rows], "#b2182b"),
        ("open, not overdue", [int(r["open"]) - int(r["overdue"]) for r in rows], "#fdb863"),
    ):
        fig.add_bar(name=label, orientation="h", y=names, x=values, marker_color=color)
    fig.update_layout(barmode="stack", hovermode="y unified")
    fig.update_xaxes(title_text="open follow-ups")
    return _style(fig, title, 400)


def overdue_by_team(data: ReportData) -> go.Figure:
    return _overdue_bars(
        data.overdue_by_team, "team_name", "Teams with the most overdue follow-ups"
    )


def overdue_by_service(data: ReportData) -> go.Figure:
    return _overdue_bars(
        data.overdue_by_service, "service_name", "Services with the most overdue follow-ups"
    )


INCIDENT_CHARTS = {
    "incidents-per-week": incidents_per_week,
    "resolve-times": resolve_times,
    "sla-breach-rate": breach_rate,
    "top-teams": top_teams,
    "dashboards-per-team": dashboards_per_team,
}
ALERT_CHARTS = {
    "alerts-per-week": alerts_per_week,
    "alert-shares": alert_shares,
    "alert-minutes-open": alert_minutes_open,
    "alert-sources": alert_sources,
}
FOLLOW_UP_CHARTS = {
    "follow-through-rates": follow_through_rates,
    "retrospective-days": retrospective_days,
    "overdue-by-team": overdue_by_team,
    "overdue-by-service": overdue_by_service,
}
CHARTS = {**INCIDENT_CHARTS, **ALERT_CHARTS, **FOLLOW_UP_CHARTS}


def build_figures(data: ReportData) -> dict[str, go.Figure]:
    """Every chart of the report, keyed by the id its element gets in the page.

    A section with nothing to show (no alerts; no follow-ups nor retrospectives) gets no
    charts: the page says so in their place.
    """
    charts = dict(INCIDENT_CHARTS)
    if data.has_alerts:
        charts.update(ALERT_CHARTS)
    if data.has_follow_through:
        charts.update(FOLLOW_UP_CHARTS)
    return {name: build(data) for name, build in charts.items()}
