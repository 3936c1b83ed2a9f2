"""The analyst commands on a warehouse built by one real `just elt` (shared by every test).

Each check recomputes the numbers in Python from the marts' rows, so a chart or a status
line that drifts from the marts fails here.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
import re
from collections import defaultdict
from pathlib import Path

import duckdb
import pytest

from analyst import query, report
from tests.workspace import Workspace

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def built(demo_elt) -> Workspace:
    ws, result = demo_elt
    assert result.returncode == 0, result.stdout + result.stderr
    return ws


def rows(ws: Workspace, sql: str) -> list[tuple]:
    with duckdb.connect(str(ws.duckdb_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def week(day: dt.date) -> str:
    return str(day - dt.timedelta(days=day.weekday()))


def percentile(values: list[float], p: float) -> float:
    """percentile_cont: linear interpolation between the closest ranks."""
    values = sorted(values)
    pos = p * (len(values) - 1)
    lo, hi = math.floor(pos), math.ceil(pos)
    return values[lo] + (values[hi] - values[lo]) * (pos - lo)


def test_query_prints_and_exports(
    built: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        query.run(["select count(*) as incidents from marts.fct_incidents"], str(built.duckdb_path))
        == 0
    )
    out = capsys.readouterr().out
    assert out.splitlines()[2].strip() == "230" and "(1 row," in out
    target = tmp_path / "teams.csv"
    result = built.just(
        "query", "select * from marts.dim_teams order by team_id", "-o", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("wrote ")
    with target.open() as handle:
        exported = list(csv.DictReader(handle))
    assert [r["team_id"] for r in exported] == [
        r[0] for r in rows(built, "select team_id from marts.dim_teams order by team_id")
    ]


def test_status(built: Workspace) -> None:
    result = built.just("status")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    # the latest run: other tests may run `just elt` again in this shared workspace
    run_id, before, after = rows(
        built,
        "select run_id, cursor_before, cursor_after from ops.elt_runs"
        " where status = 'success' order by finished_at desc limit 1",
    )[0]
    assert f"run {run_id}, demo API" in text
    for (name,) in rows(
        built, "select table_name from information_schema.tables where table_schema = 'marts'"
    ):
        count = rows(built, f"select count(*) from marts.{name}")[0][0]
        assert re.search(rf"^  {name} +{count:,}$", text, re.M), name
    cursor = json.loads(after)["incidents"]
    was = json.loads(before or "{}").get("incidents")
    stamp = f"{cursor}  ({f'was {was}' if was else 'first sync'})"
    assert re.search(rf"^  incidents +{re.escape(stamp)}$", text, re.M), text
    assert re.search(r"analytics_api\.incidents +PASS +warn after 1 day, error after 7 days", text)


def test_report_holds_the_marts_numbers(built: Workspace) -> None:
    out = built.root / "report.html"
    result = built.just("report", "--output", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text()
    assert not re.search(r"<script[^>]*\bsrc=", page) and "<link" not in page
    figs = report.embedded_figures(page)

    weekly: dict[tuple[str, str], int] = defaultdict(int)
    breached: dict[str, int] = defaultdict(int)
    with_target: dict[str, int] = defaultdict(int)
    for day, level, started, sla_breached, resolved_with_target in rows(
        built,
        "select date_day, severity_level, incidents_started, incidents_sla_breached,"
        " incidents_resolved_with_sla_target from marts.incident_metrics_daily",
    ):
        weekly[(week(day), level)] += started
        breached[week(day)] += sla_breached
        with_target[week(day)] += resolved_with_target
    shown = {
        (x, t["name"]): y
        for t in figs["incidents-per-week"]["data"]
        for x, y in zip(t["x"], t["y"], strict=True)
    }
    assert shown == dict(weekly)

    rate = figs["sla-breach-rate"]["data"][0]
    assert rate["x"] == sorted(breached)
    for x, y in zip(rate["x"], rate["y"], strict=True):
        expected = breached[x] / with_target[x] if with_target[x] else None
        assert y == pytest.approx(expected, rel=1e-12) if expected is not None else y is None

    minutes: dict[tuple[str, str], list[float]] = defaultdict(list)
    for day, level, value in rows(
        built,
        "select started_date, severity_level, minutes_to_resolve from marts.fct_incidents"
        " where is_countable and is_resolved and minutes_to_resolve is not null"
        " and severity_level is not null and started_date is not null",
    ):
        minutes[(str(day.replace(day=1)), level)].append(value)
    resolve = figs["resolve-times"]["data"]
    levels = [
        lvl for lvl in ("critical", "high", "medium", "low") if any(k[1] == lvl for k in minutes)
    ]
    panels = [t for t in resolve if t["name"] in ("median", "p90")]
    assert len(panels) == 2 * len(levels)
    for i, level in enumerate(levels):
        for trace, p in zip(panels[2 * i : 2 * i + 2], (0.5, 0.9), strict=True):
            expected = {m: percentile(v, p) for (m, lvl), v in minutes.items() if lvl == level}
            got = dict(zip(trace["x"], trace["y"], strict=True))
            assert got == pytest.approx(expected, rel=1e-9), (level, p)

    per_team: dict[str, int] = defaultdict(int)
    for name, incidents in rows(
        built, "select team_name, incidents from marts.team_incident_summary"
    ):
        per_team[name] += incidents
    top = figs["top-teams"]["data"][0]
    assert dict(zip(top["y"], top["x"], strict=True)) == dict(
        sorted(per_team.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    )

    dims = {
        name: (existing, deleted)
        for name, existing, deleted in rows(
            built,
            "select team_name, dashboard_count, deleted_dashboard_count from marts.dim_teams"
            " where dashboard_count + deleted_dashboard_count > 0",
        )
    }
    existing, deleted = figs["dashboards-per-team"]["data"]
    assert {
        y: (a, b) for y, a, b in zip(existing["y"], existing["x"], deleted["x"], strict=True)
    } == dims

    newest = rows(built, "select max(updated_at) from marts.fct_incidents")[0][0]
    assert f"Data as of <b>{newest:%Y-%m-%d %H:%M} UTC</b>" in page
    run_id = rows(
        built,
        "select run_id from ops.elt_runs where status = 'success'"
        " order by finished_at desc limit 1",
    )[0][0]
    assert f"run {run_id[:8]}" in page


def test_shell_execs_harlequin_read_only(built: Workspace) -> None:
    """The real exec path; `hsql` proves read-only reading in test_shell (same adapter)."""
    result = built.just("shell", "--version")  # harlequin prints its version instead of the UI
    assert result.returncode == 0, result.stderr
    assert "harlequin, version" in result.stdout


def kpi(page: str, label: str) -> str:
    found = re.findall(
        rf'<div class="v">([^<]*)</div><div class="l">{re.escape(label)}</div>', page
    )
    assert len(found) == 1, (label, found)
    return found[0]


def test_report_alerts_section_holds_the_marts_numbers(built: Workspace, tmp_path: Path) -> None:
    """Recomputed from `fct_alerts`' rows, one alert at a time (not from the daily mart)."""
    out = tmp_path / "report.html"
    assert report.build_report(str(built.duckdb_path), str(out)) == str(out)
    page = out.read_text()
    section = page[page.index('id="section-alerts"') : page.index('id="section-follow-ups"')]
    figs = report.embedded_figures(page)

    weekly: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    sources: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    alerts = rows(
        built,
        "select started_date, source, is_noise, became_incident from marts.fct_alerts"
        " where started_date is not null",
    )
    assert alerts, "the demo API serves alerts"
    for day, source, noise, became in alerts:
        kind = "unclassified" if noise is None else "noise" if noise else "not noise"
        weekly[week(day)][kind] += 1
        sources[source][kind] += 1
        weekly[week(day)]["became"] += bool(became)
    shown = {
        (x, t["name"]): y
        for t in figs["alerts-per-week"]["data"]
        for x, y in zip(t["x"], t["y"], strict=True)
    }
    assert {k: v for k, v in shown.items() if v} == {
        (w, kind): n for w, kinds in weekly.items() for kind, n in kinds.items() if kind != "became"
    }
    noise = sum(k["noise"] for k in weekly.values())
    classified = noise + sum(k["not noise"] for k in weekly.values())
    assert kpi(section, "noise share") == f"{noise / classified:.1%}"
    assert f"(noise or not noise: {noise:,} of {classified:,})" in section
    became = sum(k["became"] for k in weekly.values())
    assert kpi(section, "became an incident") == f"{became / len(alerts):.1%}"
    assert kpi(section, "alerts started") == f"{len(alerts):,}"
    share = {
        t["name"]: dict(zip(t["x"], t["y"], strict=True)) for t in figs["alert-shares"]["data"]
    }
    for w, kinds in weekly.items():
        cls = kinds["noise"] + kinds["not noise"]
        expected = kinds["noise"] / cls if cls else None
        assert share["noise share"][w] == (pytest.approx(expected) if cls else None), w

    top = sorted(sources.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))[:10]
    bars = {t["name"]: t for t in figs["alert-sources"]["data"]}
    labels = []
    for source, kinds in reversed(top):
        cls = kinds["noise"] + kinds["not noise"]
        share = f"{kinds['noise'] / cls:.0%}" if cls else "n/a"
        labels.append(f"{source} ({share} noise)")
    assert bars["noise"]["y"] == labels
    assert bars["noise"]["x"] == [kinds["noise"] for _, kinds in reversed(top)]

    minutes: dict[str, list[float]] = defaultdict(list)
    for urgency, value in rows(
        built,
        "select coalesce(alert_urgency_name, 'none'), minutes_open from marts.fct_alerts"
        " where started_date is not null and minutes_open is not null",
    ):
        minutes[urgency].append(value)
    bar = figs["alert-minutes-open"]["data"][0]
    assert dict(zip(bar["x"], bar["y"], strict=True)) == pytest.approx(
        {u: percentile(v, 0.5) for u, v in minutes.items()}
    )


def test_report_follow_ups_section_holds_the_marts_numbers(
    built: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "report.html"
    report.build_report(str(built.duckdb_path), str(out))
    page = out.read_text()
    section = page[page.index('id="section-follow-ups"') :]
    figs = report.embedded_figures(page)

    items = rows(
        built,
        "select follow_up_id, incident_id, status, due_date, as_of from marts.fct_follow_ups"
        " where is_countable",
    )
    assert items, "the demo API serves action items"
    as_of = items[0][4]
    assert f"As of <b>{as_of:%Y-%m-%d %H:%M} UTC</b>" in section
    # overdue recomputed from its definition: open or in progress, due before the as-of day
    overdue = [i for i in items if i[2] in ("open", "in_progress") and i[3] and i[3] < as_of.date()]
    assert kpi(section, "overdue follow-ups") == f"{len(overdue):,}"
    opened = [i for i in items if i[2] in ("open", "in_progress")]
    assert kpi(section, "open follow-ups") == f"{len(opened):,}"
    done = sum(i[2] == "done" for i in items)
    not_cancelled = sum(i[2] != "cancelled" for i in items)
    assert kpi(section, "follow-up completion rate") == f"{done / not_cancelled:.1%}"

    teams: dict[str, list[str]] = defaultdict(list)
    for incident_id, name in rows(
        built,
        "select b.incident_id, t.team_name from marts.bridge_incident_teams as b"
        " join marts.dim_teams as t using (team_id)",
    ):
        teams[incident_id].append(name)
    per_team: dict[str, int] = defaultdict(int)
    for item in overdue:
        for name in teams.get(item[1]) or ["no team listed"]:
            per_team[name] += 1
    bar = next(t for t in figs["overdue-by-team"]["data"] if t["name"] == "overdue")
    expected = sorted(per_team.items(), key=lambda kv: -kv[1])[:10]
    assert sorted(bar["x"], reverse=True) == [n for _, n in expected]
    assert all(per_team[name] == n for name, n in zip(bar["y"], bar["x"], strict=True))

    incidents = rows(
        built,
        "select i.started_date, f.is_resolved, f.has_retrospective, f.follow_ups_total,"
        " f.follow_ups_cancelled, f.follow_ups_done, f.days_to_published_retrospective"
        " from marts.incident_follow_through as f join marts.fct_incidents as i using"
        " (incident_id) where f.is_countable and i.started_date is not null",
    )
    monthly: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for started, resolved, retro, total, cancelled, n_done, _ in incidents:
        m = monthly[str(started.replace(day=1))]
        m[0] += total - cancelled
        m[1] += n_done
        m[2] += bool(resolved)
        m[3] += bool(resolved and retro)
    rates = {t["name"]: t for t in figs["follow-through-rates"]["data"]}
    assert rates["follow-ups done"]["x"] == sorted(monthly)
    assert rates["follow-ups done"]["y"] == pytest.approx(
        [m[1] / m[0] if m[0] else None for _, m in sorted(monthly.items())]
    )
    assert rates["resolved with a retrospective"]["y"] == pytest.approx(
        [m[3] / m[2] if m[2] else None for _, m in sorted(monthly.items())]
    )
    resolved = [r for r in incidents if r[1]]
    retro_rate = sum(bool(r[2]) for r in resolved) / len(resolved)
    assert kpi(section, "retrospective rate") == f"{retro_rate:.1%}"
    days = [
        d
        for (d,) in rows(
            built,
            "select days_to_published_retrospective from marts.incident_follow_through"
            " where is_countable and days_to_published_retrospective is not null",
        )
    ]
    assert kpi(section, "median days to published retrospective") == f"{percentile(days, 0.5):,.1f}"


def copy_marts(built: Workspace, target: Path, empty: set[str], drop: set[str]) -> str:
    """The built warehouse's marts (real schemas) in a new file, some emptied, some left out."""
    path = str(target)
    with duckdb.connect(path) as con:
        con.execute(f"attach '{built.duckdb_path}' as src (read_only)")
        con.execute("create schema marts")
        for (name,) in con.execute(
            "select table_name from information_schema.tables"
            " where table_catalog = 'src' and table_schema = 'marts'"
        ).fetchall():
            if name not in drop:
                limit = " limit 0" if name in empty else ""
                con.execute(f"create table marts.{name} as select * from src.marts.{name}{limit}")
        con.execute("detach src")
    return path


def test_report_without_alerts_or_follow_ups_says_so(built: Workspace, tmp_path: Path) -> None:
    """A warehouse with no alerts, no follow-ups, no retrospectives: the sections say so."""
    empty = {
        "fct_alerts",
        "alert_metrics_daily",
        "bridge_alert_services",
        "bridge_alert_incidents",
        "fct_follow_ups",
    }
    path = copy_marts(built, tmp_path / "empty.duckdb", empty, set())
    with duckdb.connect(path) as con:  # incidents stay, none with a retrospective or follow-up
        con.execute(
            "update marts.incident_follow_through set has_retrospective = false,"
            " is_retrospective_published = false, days_to_published_retrospective = null"
        )
    out = tmp_path / "report.html"
    report.build_report(path, str(out))
    page = out.read_text()
    assert "No alerts in this warehouse yet: <code>marts.fct_alerts</code> is empty." in page
    as_of = rows(built, "select max(as_of) from marts.incident_follow_through")[0][0]
    assert f"No follow-ups and no retrospectives as of {as_of:%Y-%m-%d %H:%M} UTC" in page
    names = list(report.embedded_figures(page))
    assert names == [
        "incidents-per-week",
        "resolve-times",
        "sla-breach-rate",
        "top-teams",
        "dashboards-per-team",
    ]

    # an older warehouse, built before the alert and follow-up marts existed
    old = copy_marts(built, tmp_path / "old.duckdb", set(), {"fct_alerts", "fct_follow_ups"})
    assert report.run(["-o", str(tmp_path / "old.html")], old) == 0
    page = (tmp_path / "old.html").read_text()
    assert "Not in this warehouse yet: <code>marts.fct_alerts</code>." in page
    assert "Not in this warehouse yet: <code>marts.fct_follow_ups</code>." in page
