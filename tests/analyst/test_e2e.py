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
