"""`just status`: is the warehouse current? Last run, mart sizes, cursors, source freshness.

Reads only: the run ledger (`ops.elt_runs`), the marts' row counts, dlt's load table and
the freshness thresholds in the dbt sources yml, so it answers in well under a second and
never blocks an ELT run for long.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from dataclasses import dataclass, field
from typing import Any

from analyst import freshness, queries
from analyst.warehouse import WarehouseUnavailable, connect_read_only
from ingestion.arguments import ArgumentParser
from ingestion.summary import NO_CHANGES, PARTIAL


@dataclass
class Status:
    """Everything the command prints, gathered in one read-only visit."""

    warehouse: str
    last_success: dict[str, Any] | None = None
    newest_run: dict[str, Any] | None = None
    mart_rows: dict[str, int] = field(default_factory=dict)
    last_load: dt.datetime | None = None
    rules: list[freshness.SourceFreshness] = field(default_factory=list)


def gather(duckdb_path: str) -> Status:
    with connect_read_only(duckdb_path) as con:
        return Status(
            warehouse=duckdb_path,
            last_success=queries.last_run(con, successful=True),
            newest_run=queries.last_run(con, successful=False),
            mart_rows=queries.mart_row_counts(con),
            last_load=queries.last_completed_load(con),
            rules=freshness.load_thresholds(),
        )


def utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def ago(value: dt.datetime, now: dt.datetime) -> str:
    """`4 min ago`, `3 h ago`, `2 days ago`: enough precision to judge freshness at a glance."""
    seconds = (now - utc(value)).total_seconds()
    if seconds < 0:
        return "in the future (clock skew?)"
    if seconds < 90:
        return f"{seconds:.0f} s ago"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min ago"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.1f} h ago"
    return f"{seconds / 86400:.1f} days ago"


def when(value: dt.datetime | None, now: dt.datetime) -> str:
    if value is None:
        return "unknown"
    return f"{utc(value):%Y-%m-%d %H:%M:%S} UTC ({ago(value, now)})"


def _run_section(status: Status, now: dt.datetime) -> list[str]:
    run = status.last_success
    if run is None:
        lines = ["Last successful run  none yet: run `just elt`"]
    else:
        took = ""
        if run.get("started_at") and run.get("finished_at"):
            took = f", took {(run['finished_at'] - run['started_at']).total_seconds():.0f}s"
        refresh = ", full refresh" if run.get("full_refresh") else ""
        lines = [
            f"Last successful run  finished {when(run.get('finished_at'), now)}",
            f"                     run {run['run_id']}, {run.get('source')}{refresh}{took}",
        ]
        if run.get("build") == NO_CHANGES:
            lines.append(
                "                     no changes: raw and the dbt project as the last build"
                " left them, so dbt did not run"
            )
        elif run.get("build") == PARTIAL:
            lines.append(
                "                     partial build: rebuilt only what its new data and dbt"
                " project edits reach; the other marts are as the build before left them"
            )
    newest = status.newest_run
    if newest and (run is None or newest["run_id"] != run["run_id"]):
        error = str(newest.get("error") or "").splitlines()
        lines.append(
            f"Newest run           {newest.get('status')} at"
            f" {when(newest.get('finished_at') or newest.get('started_at'), now)}"
            + (f": {error[0]}" if error else "")
        )
    return lines


def _marts_section(status: Status) -> list[str]:
    if not status.mart_rows:
        return ["Marts                none built yet: run `just elt`"]
    width = max(len(n) for n in status.mart_rows)
    lines = ["Marts (rows)"]
    lines += [f"  {name.ljust(width)}  {rows:>10,}" for name, rows in status.mart_rows.items()]
    return lines


def _cursor_section(status: Status) -> list[str]:
    run = status.last_success
    if run is None:
        return []
    after = run.get("cursor_after") if isinstance(run.get("cursor_after"), dict) else {}
    before = run.get("cursor_before") if isinstance(run.get("cursor_before"), dict) else {}
    pages = run.get("pages_by_resource") if isinstance(run.get("pages_by_resource"), dict) else {}
    resources = sorted(set(after) | set(pages))
    if not resources:
        return []
    width = max(len(r) for r in resources)
    lines = ["Incremental cursors (after the last successful run)"]
    for name in resources:
        if name in after and after[name] is not None:
            was = before.get(name)
            note = f"was {was}" if was is not None else "first sync"
            lines.append(f"  {name.ljust(width)}  {after[name]}  ({note})")
        else:
            lines.append(f"  {name.ljust(width)}  no cursor: read in full every run")
    return lines


def _freshness_section(status: Status, now: dt.datetime) -> list[str]:
    if not status.rules:
        return ["Source freshness     no thresholds in the dbt sources yml"]
    origins = sorted({r.defined_in for r in status.rules})
    lines = [
        f"Source freshness (age of dlt's newest completed load: {when(status.last_load, now)})",
        f"  thresholds from {', '.join(origins)}",
    ]
    width = max(len(f"{r.source}.{r.table}") for r in status.rules)
    for rule in status.rules:
        verdict = freshness.evaluate(rule, status.last_load, now)
        label = "no load yet" if status.last_load is None else verdict
        name = f"{rule.source}.{rule.table}".ljust(width)
        lines.append(f"  {name}  {label.upper():<5}  {rule.describe()}")
    return lines


def render_status(status: Status, now: dt.datetime) -> str:
    """The report as text; pure, so tests can pin every line."""
    sections = [
        [f"Warehouse            {status.warehouse} (read-only)"],
        _run_section(status, now),
        _marts_section(status),
        _cursor_section(status),
        _freshness_section(status, now),
    ]
    return "\n\n".join("\n".join(s) for s in sections if s)


def parse_args(argv: list[str]) -> argparse.Namespace:
    """No flags but --help; anything else raises `BadArguments` (one line, exit code 2)."""
    return ArgumentParser(
        prog="just status",
        description="Last ELT run, mart row counts, incremental cursors and source freshness.",
    ).parse_args(argv)


def run(argv: list[str], duckdb_path: str) -> int:
    parse_args(argv)
    try:
        status = gather(duckdb_path)
    except WarehouseUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 1
    print(render_status(status, dt.datetime.now(dt.UTC)))
    return 0
