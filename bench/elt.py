"""Drive the real ELT, a bare `dbt build` and the demo API's change batches as subprocesses.

Each run gets a fresh temp workspace (warehouse, dlt pipelines dir, demo API state, dbt
target and logs), so benchmark runs never touch `data/` or `target/` and never see each
other's state. The environment is rebuilt from scratch for the ELT's own settings so a
developer's exported `SOURCES__...`/`DESTINATION__...` cannot leak into a measurement.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.measure import ProcessRun, TreePeak, run_monitored
from tests.workspace import REPO_ROOT, Workspace

PAGE_SIZE = 100
SEED = 42
# The throughput scenarios measure moving data, so their demo API does not rate-limit (at
# 1M incidents the reference API's 3000 a minute would set the pace); the rate-limited
# scenario measures the limit.
UNLIMITED = 1_000_000_000
STEPS = ("extract", "normalize", "load", "dbt", "publish")
INGEST_STEPS = ("extract", "normalize", "load")
# env prefixes the ELT/dlt/dbt read; cleared so only what the benchmark sets applies
_OWNED_PREFIXES = ("SOURCES__", "DESTINATION__", "ELT__", "RUNTIME__", "DLT__", "NORMALIZE__")
_OWNED_NAMES = ("API_KEY", "DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_TARGET", "DEMO_API_TOKEN")


# A shell that forbids writing bytecode makes every run compile each module it imports
# (~1 s of a quiet hour); an installed project runs from the .pyc its first run wrote.
_NOT_PASSED = ("PYTHONDONTWRITEBYTECODE",)


def base_env() -> dict[str, str]:
    """This process's environment without any setting the ELT, dlt or dbt would read."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(_OWNED_PREFIXES) and k not in _OWNED_NAMES + _NOT_PASSED
    }


def elt_env(
    ws: Workspace,
    *,
    incidents: int,
    dashboards: int,
    page_size: int = PAGE_SIZE,
    base_url: str | None = None,
    api_key: str | None = None,
) -> dict[str, str]:
    """The ELT's environment: everything in `ws`, page size 100, the demo API's size."""
    env = base_env() | {
        "DESTINATION__DUCKDB__CREDENTIALS": str(ws.duckdb_path),
        "ELT__PIPELINES_DIR": str(ws.pipelines_dir),
        "ELT__DEMO_API__STATE_DIR": str(ws.demo_state_dir),
        "ELT__DEMO_API__SEED": str(SEED),
        "ELT__DEMO_API__INCIDENTS": str(incidents),
        "ELT__DEMO_API__DASHBOARDS": str(dashboards),
        "ELT__DEMO_API__RATE_LIMIT": str(UNLIMITED),
        "SOURCES__ANALYTICS_API__PAGE_SIZE": str(page_size),
        "DBT_TARGET_PATH": str(ws.root / "dbt_target"),
        "DBT_LOG_PATH": str(ws.root / "dbt_logs"),
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "PYTHONUNBUFFERED": "1",
    }
    if base_url:
        env["SOURCES__ANALYTICS_API__BASE_URL"] = base_url
        env["API_KEY"] = api_key or ""
    return env


@dataclass
class EltRun:
    """One ELT subprocess as measured from outside and as it summarised itself."""

    label: str
    ok: bool
    wall_s: float
    peak: TreePeak
    seconds: dict[str, float] = field(default_factory=dict)
    pages: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    http: dict[str, Any] = field(default_factory=dict)
    # per resource: requests (retries included), retries, 429s (the summary's `requests`)
    requests: dict[str, dict[str, int]] = field(default_factory=dict)
    models_built: int = 0
    tests_passed: int = 0
    build: str | None = None  # "built", "partial", or "no changes" (dbt and publish skipped)
    error: str | None = None

    @property
    def ingest_s(self) -> float | None:
        if not self.ok:
            return None
        return sum(self.seconds.get(step, 0.0) for step in INGEST_STEPS)

    @property
    def transform_s(self) -> float | None:
        if not self.ok:
            return None
        return self.seconds.get("dbt", 0.0) + self.seconds.get("publish", 0.0)

    @property
    def api_records(self) -> int:
        """Records the API returned (parent tables only; child tables are dlt's unnesting)."""
        return sum(n for table, n in self.rows.items() if "__" not in table)


def run_elt(ws: Workspace, env: dict[str, str], label: str) -> EltRun:
    """`python -m cli elt --summary-json` in `ws`, memory-sampled."""
    summary_path = ws.summary(label)
    cmd = [sys.executable, "-m", "cli", "elt", "--summary-json", str(summary_path)]
    proc = run_monitored(cmd, env, REPO_ROOT, ws.log(label))
    return _elt_result(label, proc, summary_path)


def _elt_result(label: str, proc: ProcessRun, summary_path: Path) -> EltRun:
    run = EltRun(label=label, ok=proc.returncode == 0, wall_s=proc.wall_s, peak=proc.peak)
    if not run.ok or not summary_path.exists():
        run.ok = False
        run.error = f"exit {proc.returncode}: {proc.log_tail(6)} (log: {proc.log})"
        return run
    summary = json.loads(summary_path.read_text())
    run.seconds = {k: float(v) for k, v in summary.get("seconds", {}).items()}
    run.pages = summary.get("pages", {})
    run.rows = summary.get("rows", {})
    run.http = summary.get("http", {})
    run.requests = summary.get("requests", {})
    run.models_built = int(summary.get("models_built", 0))
    run.tests_passed = int(summary.get("tests_passed", 0))
    run.build = summary.get("build")
    return run


@dataclass
class BareDbt:
    """One plain `dbt build` of the project on a warehouse the ELT already loaded."""

    ok: bool
    wall_s: float
    error: str | None = None


def run_bare_dbt(ws: Workspace, label: str) -> BareDbt:
    """`dbt build --vars {schema_suffix: __bare}` in its own schemas and a fresh target dir.

    A fresh target dir means a full parse, exactly like the ELT's first build in the same
    workspace, and the same nodes: the ELT leaves dbt's unit tests to CI, so this does too.
    Like with like.
    """
    dbt = Path(sys.executable).parent / "dbt"
    cmd = [
        str(dbt),
        "build",
        "--vars",
        "{schema_suffix: __bare}",
        "--exclude-resource-type",
        "unit_test",
    ]
    env = base_env() | {
        "DESTINATION__DUCKDB__CREDENTIALS": str(ws.duckdb_path),
        "DBT_TARGET_PATH": str(ws.root / f"dbt_target_{label}"),
        "DBT_LOG_PATH": str(ws.root / f"dbt_logs_{label}"),
    }
    proc = run_monitored(cmd, env, REPO_ROOT, ws.log(label))
    error = None if proc.returncode == 0 else f"exit {proc.returncode}: {proc.log_tail(6)}"
    return BareDbt(proc.returncode == 0, proc.wall_s, error)
