"""What a run tells the person who ran it: seconds per step, and the summary it prints.

Kept apart from the run so the summary's wording (and the JSON `--summary-json` writes) can
change without touching how a run works, and so the timer can time any step.
"""

from __future__ import annotations

import contextlib
import dataclasses
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ingestion.deletions import RESOURCE as DELETIONS

NO_CHANGES = "no changes"
PARTIAL = "partial"  # only what is downstream of the changes was rebuilt


@dataclass
class StepTimer:
    seconds: dict[str, float] = field(default_factory=dict)

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - started


@dataclass
class RunSummary:
    """What one run did, for the person who ran it."""

    base_url: str
    used_demo_api: bool
    warehouse: str
    pages: dict[str, int]
    rows: dict[str, int]
    http: dict[str, Any]
    dbt: list[dict[str, Any]]
    seconds: dict[str, float]
    new_columns: dict[str, list[str]] = field(default_factory=dict)
    cursors_before: dict[str, Any] = field(default_factory=dict)
    cursors_after: dict[str, Any] = field(default_factory=dict)
    deletions: dict[str, Any] = field(default_factory=dict)
    # "built" (everything), "partial" (what is downstream of the changes, see
    # `ingestion.selection`), or "no changes": raw and the dbt project as the last published
    # build left them
    build: str = "built"
    build_reason: str = ""  # why everything, or what the partial build followed
    # full scans that read what the last loaded scan read: not normalized or loaded again
    unchanged_scans: list[str] = field(default_factory=list)
    # full scans left out: loaded less than `full_scan_hours` ago
    scans_not_due: list[str] = field(default_factory=list)
    # per full scan: records it listed twice (offset paging while records were added)
    repeated: dict[str, int] = field(default_factory=dict)
    # per sync: records the lag window read again as they were loaded (not loaded again)
    reread_unchanged: dict[str, int] = field(default_factory=dict)
    fingerprints: dict[str, str] = field(default_factory=dict)

    @property
    def models_built(self) -> int:
        return sum(1 for r in self.dbt if r["kind"] == "model" and r["status"] == "success")

    @property
    def tests_passed(self) -> int:
        return sum(1 for r in self.dbt if r["kind"] == "test" and r["status"] == "pass")

    @property
    def requests(self) -> dict[str, dict[str, int]]:
        """Per resource: requests sent (`pages`, retries included), how many of them were
        retries, and how many were answered 429."""
        retries = per_resource(self.http.get("retries_by_path", {}))
        limited = per_resource(self.http.get("rate_limited_by_path", {}))
        return {
            resource: {
                "requests": count,
                "retries": retries.get(resource, 0),
                "rate_limited": limited.get(resource, 0),
            }
            for resource, count in sorted(self.pages.items())
        }

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {
            "models_built": self.models_built,
            "tests_passed": self.tests_passed,
            "requests": self.requests,
        }

    def render(self) -> str:
        source = "demo API" if self.used_demo_api else self.base_url
        lines = [f"ELT finished: {source} -> {self.warehouse}"]
        tables = {r for r in self.rows if "__" not in r and r != DELETIONS}
        requests = self.requests
        for resource in sorted(set(self.pages) | tables):
            children = {t: n for t, n in self.rows.items() if t.startswith(f"{resource}__")}
            child_text = "".join(f", {n} {t}" for t, n in sorted(children.items()))
            if len(children) > 3:  # alerts and catalogs have many lists: just count them
                child_text = f", {sum(children.values())} rows in {len(children)} child tables"
            # `pages` is the requests sent to the resource's path (retries included)
            sent = requests.get(resource, {})
            retried = ""
            if sent.get("retries"):
                retried = f" ({sent['retries']} retried, {sent['rate_limited']} x 429)"
            lines.append(
                f"  {resource:<15} {self.pages.get(resource, 0):>6} pages"
                f" {self.rows.get(resource, 0):>8} rows{child_text}{retried}"
            )
        lines.append(
            f"  http         {sum(self.pages.values())} requests, {self.http['retries']} retries,"
            f" {self.http['rate_limited']} rate-limited (429)"
        )
        if self.build == NO_CHANGES:
            lines.append("  dbt          no changes since the last published build: not run")
        else:
            lines.append(
                f"  dbt          {self.models_built} models built, {self.tests_passed} tests passed"
                f" ({'only ' if self.build == PARTIAL else 'everything: '}{self.build_reason})"
            )
        lines.append(f"  deletions    {describe_deletions(self.deletions)}")
        if self.unchanged_scans:
            lines.append(
                f"  unchanged    {', '.join(self.unchanged_scans)}"
                " (full scans as last loaded: not loaded again)"
            )
        if self.repeated:
            counts = ", ".join(f"{n} {table}" for table, n in sorted(self.repeated.items()))
            lines.append(f"  repeated     {counts} (listed twice in one scan: loaded once)")
        if self.reread_unchanged:
            counts = ", ".join(f"{n} {t}" for t, n in sorted(self.reread_unchanged.items()))
            lines.append(
                f"  re-read      {counts} (read again before the cursor, as loaded: not loaded"
                " again)"
            )
        if self.scans_not_due:
            lines.append(
                f"  not due      {', '.join(self.scans_not_due)}"
                " (full scans loaded within full_scan_hours: not read; --full-scans reads them)"
            )
        for table, columns in sorted(self.new_columns.items()):
            lines.append(f"  new columns  {table}: {', '.join(columns)}")
        for resource in sorted(set(self.cursors_before) | set(self.cursors_after)):
            before = self.cursors_before.get(resource) or "(first run)"
            after = self.cursors_after.get(resource)
            lines.append(f"  cursor       {resource}.updated_at {before} -> {after}")
        steps = ", ".join(f"{name} {secs:.1f}s" for name, secs in self.seconds.items())
        lines.append(f"  seconds      {steps}")
        return "\n".join(lines)


def per_resource(by_path: dict[str, int]) -> dict[str, int]:
    """Counts by request path (`/v1/alerts`) summed per resource name (`alerts`)."""
    counts: dict[str, int] = {}
    for path, count in by_path.items():
        resource = path.rstrip("/").rsplit("/", 1)[-1]
        counts[resource] = counts.get(resource, 0) + count
    return counts


def describe_deletions(deletions: dict[str, Any]) -> str:
    """The summary's line on incidents deleted upstream."""
    if not deletions.get("checked"):
        return "not checked this run (see deletion_check_hours, or --check-deletions)"
    if not deletions.get("listed"):
        return "checked (an empty warehouse: nothing to compare yet)"
    return (
        f"checked {deletions['listed']} listed incidents: {deletions['newly_deleted']} newly"
        f" found deleted upstream, {deletions['deleted']} deleted in all"
    )
