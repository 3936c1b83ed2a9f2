"""The printed table and the JSON file: the same figures, with targets and the machine.

A timing without its machine is not comparable later, so the JSON records cores, memory,
Python, the library versions and the git commit (plus whether the tree was dirty).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from bench.measure import (
    INCREMENTAL_WALL_SHARE,
    INGEST_VS_FLOOR,
    LARGE_PEAK_RSS,
    RATE_429_SHARE,
    RATE_SHARE,
    TRANSFORM_VS_BARE,
    UNCHANGED_WALL,
    Target,
    ratio,
)
from ingestion.source import FULL_SCAN_COLUMNS
from tests.workspace import REPO_ROOT

PACKAGES = ("dlt", "dbt-core", "dbt-duckdb", "duckdb", "pyarrow", "requests")


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def machine() -> dict[str, Any]:
    """Where the figures were measured (read-only git queries only)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu_count": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 1024**3, 1),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "versions": versions,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain")),
        # other work on the machine skews timings; a high load here explains an outlier
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def add_verdicts(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Every target check as a row: figure, value, target, PASS/MISS/n/a."""
    checks: list[dict[str, Any]] = []

    def check(figure: str, value: float | None, target: Target) -> None:
        checks.append(
            {
                "figure": figure,
                "value": value,
                "target": target.label,
                "verdict": target.verdict(value),
            }
        )

    for scale in results.get("full_load", []):
        name = scale["scale"]
        if "ingest_vs_floor" in scale:
            check(f"{name}: ingest / floor", scale["ingest_vs_floor"], INGEST_VS_FLOOR)
        check(f"{name}: transform / bare dbt", scale["transform_vs_bare"], TRANSFORM_VS_BARE)
        if name == "large":
            check("large: peak RSS pipeline MiB", scale["peak_rss_mib"]["pipeline"], LARGE_PEAK_RSS)
    quiet = results.get("unchanged")
    if quiet and quiet["scale"] in UNCHANGED_WALL:
        check(
            f"nothing changed: {quiet['scale']} wall s",
            quiet["wall_s"],
            UNCHANGED_WALL[quiet["scale"]],
        )
    inc = results.get("incremental")
    if inc:
        for resource, fig in inc["resources"].items():
            if resource in FULL_SCAN_RESOURCES or fig["target"] is None:
                continue  # the target is for server-side filtered resources only
            target = Target("<=", fig["target"], f"<= {fig['target']:.0f} requests")
            check(f"incremental: {resource} requests", fig["requests"], target)
        check(
            f"incremental: {inc['scale']} wall / full load",
            inc["wall_vs_full"],
            INCREMENTAL_WALL_SHARE[inc["scale"]],
        )
    rl = results.get("rate_limited")
    if rl:
        check("rate-limited: share of allowed rate", rl["rate_share"], RATE_SHARE)
        check("rate-limited: 429s / requests", rl["share_429"], RATE_429_SHARE)
        for dialect, other in (results.get("rate_limited_by_dialect") or {}).items():
            if other is not rl:
                check(
                    f"rate-limited ({dialect}): share of allowed rate",
                    other["rate_share"],
                    RATE_SHARE,
                )
                check(
                    f"rate-limited ({dialect}): 429s / requests", other["share_429"], RATE_429_SHARE
                )
        checks.append(
            {
                "figure": "rate-limited: run succeeded",
                "value": rl["ok"],
                "target": "no failure",
                "verdict": "PASS" if rl["ok"] else "MISS",
            }
        )
    results["checks"] = checks
    return checks


def fmt(value: Any, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.{digits}f}{unit}"
    if isinstance(value, int):
        return f"{value:,}{unit}"
    return str(value)


def _verdict(value: float | None, target: Target) -> str:
    return f"{fmt(value, 'x', 2)} {target.verdict(value)}"


def full_load_rows(scales: list[dict[str, Any]]) -> list[list[str]]:
    """One row per figure, one column per scale."""

    def row(label: str, get) -> list[str]:
        return [label, *(get(s) for s in scales)]

    rows = [
        ["Full load", *(f"{s['scale']} ({s['incidents']:,}/{s['dashboards']:,})" for s in scales)],
        row("  repeats (median of)", lambda s: fmt(s["repeats"])),
        row("  succeeded", lambda s: fmt(s["ok"])),
    ]
    for step in ("extract", "normalize", "load", "dbt", "publish"):
        rows.append(row(f"  {step} s", lambda s, step=step: fmt(s["seconds"].get(step))))
    rows += [
        row("  ingest s (extract+normalize+load)", lambda s: fmt(s["ingest_s"])),
        row("  total wall s (process)", lambda s: fmt(s["wall_s"])),
        row("  API records / ingest s", lambda s: fmt(s["rows_per_s"], "", 0)),
        row("  pages / extract s", lambda s: fmt(s["extract_pages_per_s"])),
        row("  demo API alone pages/s", lambda s: fmt(s.get("demo_api_pages_per_s"))),
        row("  peak RSS pipeline MiB", lambda s: fmt(s["peak_rss_mib"]["pipeline"], "", 0)),
        row("  peak RSS demo API MiB", lambda s: fmt(s["peak_rss_mib"]["demo_api"], "", 0)),
        row("  peak RSS tree MiB", lambda s: fmt(s["peak_rss_mib"]["total"], "", 0)),
        row(
            "  floor s (requests+json+arrow+duckdb)",
            lambda s: fmt((s.get("floor") or {}).get("seconds")),
        ),
        row("    floor fetch s / insert s", lambda s: _pair(s.get("floor"))),
        row(
            "  ingest / floor  (<= 1.5x)",
            lambda s: (
                _verdict(s.get("ingest_vs_floor"), INGEST_VS_FLOOR) if "floor" in s else "skipped"
            ),
        ),
        row("  dbt+publish s", lambda s: fmt(s["transform_s"])),
        row("  bare dbt build s", lambda s: fmt(s["bare_dbt_s"])),
        row(
            "  transform / bare  (<= 1.3x)",
            lambda s: _verdict(s["transform_vs_bare"], TRANSFORM_VS_BARE),
        ),
        row(
            "  models built / tests passed", lambda s: f"{s['models_built']} / {s['tests_passed']}"
        ),
    ]
    if any(s["scale"] == "large" for s in scales):
        rows.append(
            row(
                "  peak RSS <= 1 GiB (large)",
                lambda s: (
                    LARGE_PEAK_RSS.verdict(s["peak_rss_mib"]["pipeline"])
                    if s["scale"] == "large"
                    else ""
                ),
            )
        )
    return rows


def _pair(floor: dict[str, Any] | None) -> str:
    if not floor:
        return "-"
    return f"{fmt(floor['fetch_s'])} / {fmt(floor['insert_s'])}"


def _share(value: float | None, target: Target, digits: int = 2) -> str:
    return f"{fmt(value, '', digits)} {target.verdict(value)}"


# The API has no filter on dashboards, the catalogs, action items and retrospectives, so
# every run reads them all (and scd2 uses that to retire deleted ones): the "changed / page
# size + 3" target cannot apply to them.
FULL_SCAN_RESOURCES = frozenset({"dashboards", *FULL_SCAN_COLUMNS})
#: The API's request budget by default (the vendor's 3,000 requests a minute).
DEFAULT_BUDGET_PER_MIN = 3000


def request_rows(scales: list[dict[str, Any]]) -> list[list[str]]:
    """Requests per resource of the full load, pipeline (retried, 429s) / floor, per scale."""
    names = list(dict.fromkeys(name for s in scales for name in s.get("requests", {})))

    def cell(s: dict[str, Any], name: str) -> str:
        fig = s.get("requests", {}).get(name)
        if not fig:
            return "-"
        text = f"{fmt(fig['pipeline'])} / {fmt(fig['floor'])}"
        if fig.get("retries"):
            text += f" ({fig['retries']} retried, {fmt(fig.get('rate_limited'))} x 429)"
        return text

    def total(s: dict[str, Any], key: str) -> int | None:
        values = [fig.get(key) for fig in s.get("requests", {}).values()]
        return sum(v for v in values if v is not None) if any(values) else None

    rows = [
        ["Full load requests per resource", *(f"{s['scale']}: pipeline / floor" for s in scales)]
    ]
    rows += [[f"  {name}", *(cell(s, name) for s in scales)] for name in names]
    rows.append(
        ["  total", *(f"{fmt(total(s, 'pipeline'))} / {fmt(total(s, 'floor'))}" for s in scales)]
    )
    rows.append(
        [
            f"  minutes at the default {DEFAULT_BUDGET_PER_MIN:,} req/min",
            *(fmt(ratio(total(s, "pipeline"), DEFAULT_BUDGET_PER_MIN), "", 2) for s in scales),
        ]
    )
    return rows


def cadence(figures: dict[str, Any]) -> str:
    """The full-scan cadence the hourly runs used, when not the default (every run)."""
    hours = figures.get("full_scan_hours")
    return "" if hours is None else f", full_scan_hours {hours:g}"


def unchanged_rows(quiet: dict[str, Any]) -> list[list[str]]:
    target = UNCHANGED_WALL.get(quiet["scale"])
    wall = quiet["wall_s"]
    rows = [
        [f"Nothing changed (after {quiet['scale']} full load){cadence(quiet)}", "value", "target"]
    ]
    rows.append(["  dbt", ", ".join(str(b) for b in quiet["builds"]), "no changes: not run"])
    rows.append(["  requests", fmt(quiet["requests"]), "(info)"])
    for step in ("extract", "compare scans", "normalize", "load", "compare", "dbt", "publish"):
        rows.append([f"  {step} s", fmt(quiet["seconds"].get(step)), ""])
    rows += [
        [
            "  total wall s",
            f"{fmt(wall)} {target.verdict(wall)}" if target else fmt(wall),
            target.label if target else "(info)",
        ],
        ["  wall / full load wall", fmt(quiet["wall_vs_full"], "", 2), "(info)"],
        ["  repeats (median of) / succeeded", f"{quiet['repeats']} / {fmt(quiet['ok'])}", ""],
    ]
    return rows


def incremental_rows(inc: dict[str, Any]) -> list[list[str]]:
    rows = [[f"Incremental (after {inc['scale']} full load){cadence(inc)}", "value", "target"]]
    batch = inc["batches"][0] if inc["batches"] else {}
    rows.append(
        [
            "  change batch",
            f"{batch.get('updated_incidents', 0)} updated + {batch.get('new_incidents', 0)} new"
            f" incidents, {len(batch.get('deleted_dashboard_ids', []))} deleted +"
            f" {len(batch.get('edited_dashboard_ids', []))} edited dashboards",
            "",
        ]
    )
    for name, fig in inc["resources"].items():
        req = fig["requests"]
        if name in FULL_SCAN_RESOURCES:
            rows.append([f"  {name} requests", fmt(req), "n/a: no API filter, full scan (scd2)"])
            continue
        if fig["target"] is None:
            rows.append([f"  {name} requests", fmt(req), "(info: changes not counted)"])
            continue
        target = Target("<=", fig["target"], "")
        rows.append(
            [
                f"  {name} requests",
                f"{fmt(req)} {target.verdict(req)}",
                f"<= {fig['changed']:.0f}/100 + 3 = {fig['target']:.0f}",
            ]
        )
    rows.append(
        [
            "  dbt build",
            f"{', '.join(str(b) for b in inc.get('builds', []))}:"
            f" {fmt(inc.get('models_built'), '', 0)} of {fmt(inc.get('full_models_built'), '', 0)}"
            f" models, {fmt(inc.get('tests_passed'), '', 0)} tests",
            "partial: only what the changes reach",
        ]
    )
    for step in ("extract", "normalize", "load", "dbt", "publish"):
        rows.append([f"  {step} s", fmt(inc["seconds"].get(step)), ""])
    share = INCREMENTAL_WALL_SHARE[inc["scale"]]
    rows += [
        ["  total wall s", fmt(inc["wall_s"]), ""],
        ["  wall / full load wall", _share(inc["wall_vs_full"], share, 3), share.label],
        ["  ingest / full load ingest", fmt(inc["ingest_vs_full"], "", 2), "(info)"],
        ["  repeats (median of) / succeeded", f"{inc['repeats']} / {fmt(inc['ok'])}", ""],
    ]
    return rows


def rate_limited_rows(rl: dict[str, Any]) -> list[list[str]]:
    return [
        [
            f"Rate-limited ({rl['incidents']:,} incidents,"
            f" {rl['limit']} req / {rl['window_s']:.0f}s, {rl.get('dialect', 'ietf')} headers)",
            "value",
            "target",
        ],
        ["  succeeded", fmt(rl["ok"]), "no failure"],
        ["  extract s / total wall s", f"{fmt(rl['extract_s'])} / {fmt(rl['wall_s'])}", ""],
        ["  requests (ok / total)", f"{rl['requests_ok']} / {rl['requests_total']}", ""],
        [
            "  req/s at the server, first to last (allowed)",
            f"{fmt(rl.get('server_requests_per_s'), '', 2)} ({rl['allowed_rate_per_s']:.1f})",
            "",
        ],
        [
            "  req/s over extract s (allowed)",
            f"{fmt(rl['requests_per_s'], '', 2)} ({rl['allowed_rate_per_s']:.1f})",
            "",
        ],
        [
            "  share of allowed rate (window / mean slot gap)",
            f"{fmt(rl['rate_share'], '', 3)} {RATE_SHARE.verdict(rl['rate_share'])}"
            f" ({fmt(rl.get('mean_slot_gap_s'), ' s', 2)})",
            ">= 0.90",
        ],
        [
            "  requests / most admitted in extract s",
            fmt(rl.get("extract_allowed_share"), "", 2),
            "(info: capped by whole windows)",
        ],
        [
            "  429s server / client",
            f"{rl['server_429']} / {fmt(rl['client_429'])}"
            f" ({fmt((rl['share_429'] or 0) * 100, '%', 1)})"
            f" {RATE_429_SHARE.verdict(rl['share_429'])}",
            "<= 1% of requests",
        ],
        ["  client waited s", fmt(rl["client_waited_s"]), ""],
    ]


def render_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) if i < len(r) else 0 for r in rows) for i in range(max(map(len, rows)))]
    lines = []
    for i, r in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=False)).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    v = m["versions"]
    parts = [
        f"bench {results['started_at']}  {m['cpu_count']} cores, {m['memory_gib']} GiB,"
        f" Python {m['python']}, dlt {v['dlt']}, dbt-core {v['dbt-core']},"
        f" duckdb {v['duckdb']}, commit {(m['git_commit'] or '?')[:10]}"
        f"{' (dirty)' if m['git_dirty'] else ''}",
        f"load average at start {m['load_average_at_start']},"
        f" at end {results.get('load_average_at_end')}; bench took"
        f" {results.get('bench_seconds', 0) / 60:.1f} min",
    ]
    if results.get("full_load"):
        parts.append(render_table(full_load_rows(results["full_load"])))
        if any(s.get("requests") for s in results["full_load"]):
            parts.append(render_table(request_rows(results["full_load"])))
    if results.get("unchanged"):
        parts.append(render_table(unchanged_rows(results["unchanged"])))
    if results.get("incremental"):
        parts.append(render_table(incremental_rows(results["incremental"])))
    by_dialect = results.get("rate_limited_by_dialect") or {}
    if by_dialect:
        for figures in by_dialect.values():
            parts.append(render_table(rate_limited_rows(figures)))
    elif results.get("rate_limited"):
        parts.append(render_table(rate_limited_rows(results["rate_limited"])))
    errors = [e for s in results.get("full_load", []) for e in s["errors"]]
    errors += (results.get("incremental") or {}).get("errors", [])
    errors += (results.get("unchanged") or {}).get("errors", [])
    if (results.get("rate_limited") or {}).get("error"):
        errors.append(results["rate_limited"]["error"])
    if errors:
        parts.append("Errors:\n" + "\n".join(f"  - {e}" for e in errors))
    checks = results.get("checks", [])
    passed = sum(1 for c in checks if c["verdict"] == "PASS")
    parts.append(f"Targets: {passed}/{len(checks)} PASS")
    return "\n\n".join(parts)


def write_results(results: dict[str, Any], output: Path) -> Path:
    """`bench-<UTC timestamp>.json` plus `latest.json` (a copy, not a link)."""
    output.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    text = json.dumps(results, indent=2, default=str)
    path = output / f"bench-{stamp}.json"
    path.write_text(text)
    (output / "latest.json").write_text(text)
    return path
