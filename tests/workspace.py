"""Isolated ELT deployments for tests and the benchmark: warehouse, dlt state, demo API state, dbt.

The one home of `REPO_ROOT` and of `Workspace`: a temp folder with its own DuckDB file,
pipelines folder, demo API state and dbt artefacts, the environment that points a subprocess
`python -m cli elt` / `just <recipe>` at them, and helpers to read what a run left behind
(`scalar`, `query`, `snapshot`, the run ledger, dlt's cursor and pending packages).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ingestion.source import CATALOGS, FOLLOW_UPS

REPO_ROOT = Path(__file__).resolve().parents[1]

# The default demo size of the end-to-end tests: several pages, every kind of record.
DEMO_SIZE = {"ELT__DEMO_API__INCIDENTS": "230", "ELT__DEMO_API__DASHBOARDS": "17"}

# what a copy of the checkout leaves out: git, the venv, caches, artefacts, local secrets
PROJECT_COPY_IGNORES = (
    ".git",
    ".venv",
    "*_cache",
    "__pycache__",
    "target",
    "logs",
    "data",
    "results",
    "secrets.toml",
)

# raw's scd2 full scans besides dashboards, as the source names them
SCD2_TABLES = (*CATALOGS, *FOLLOW_UPS)

PIPELINE = "analytics_api"
CURSOR_PATH = "attributes.updated_at"
BASE_URL = "SOURCES__ANALYTICS_API__BASE_URL"

# Columns that record *when/which load* produced a row rather than what the API said: they
# change on every load by design (dlt's load id, the scd2 validity window).
# dlt lineage, and `as_of` (when the warehouse's newest load finished): they name loads
LINEAGE_COLUMNS = frozenset({"dlt_load_id", "dlt_id", "valid_from", "valid_to", "as_of"})


# --------------------------------------------------------------------------------- results
@dataclass
class Run:
    """One finished (or killed) ELT process."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def message_lines(self) -> list[str]:
        """stderr without just's own trailer (`error: recipe `elt` failed ...`)."""
        return [
            line
            for line in self.stderr.splitlines()
            if line.strip() and not line.startswith("error: recipe `")
        ]

    def describe(self) -> str:
        return (
            f"rc={self.returncode} after {self.seconds:.1f}s\n--stdout--\n{self.stdout[-3000:]}"
            f"\n--stderr--\n{self.stderr[-3000:]}"
        )


@dataclass
class Snapshot:
    """What the warehouse and dlt's state hold at one moment."""

    incidents: list[tuple[str, datetime]]  # (id, updated_at), raw.incidents
    dashboards: list[tuple]  # every scd2 version of raw.dashboards
    raw_counts: dict[str, int]
    marts: dict[str, str]  # table -> checksum of its rows (lineage columns left out)
    marts_full: dict[str, str]  # table -> checksum of every column
    local_cursor: str | None  # dlt's state.json in the pipelines folder
    destination_cursor: str | None  # latest state row in raw._dlt_pipeline_state
    pending_packages: list[str]
    max_loaded_updated_at: datetime | None
    fct_incidents: list[tuple[str, datetime]]  # (incident_id, updated_at) of marts
    live_dim_dashboards: set[str]  # dashboard ids marts.dim_dashboards shows as not deleted
    deleted_ids: set[str] = field(default_factory=set)  # raw.incident_deletions
    # table -> sorted ids of the current rows of raw's other tables: every scd2 full scan
    # (catalogs, action items, retrospectives; `_dlt_valid_to is null`) and alerts
    current_ids: dict[str, list[str]] = field(default_factory=dict)
    # alert_id -> (status, updated_at, service_count, linked_incident_count, incident_id)
    # of marts.fct_alerts
    fct_alerts: dict[str, tuple] = field(default_factory=dict)

    @property
    def current_dashboards(self) -> set[tuple[str, datetime, str]]:
        return {(d[0], d[3], d[4]) for d in self.dashboards if d[2] is None}


# ------------------------------------------------------------------------------- workspace
@dataclass
class Workspace:
    """One isolated ELT deployment: warehouse, dlt state, demo API state, dbt artefacts.

    `settings` go into the environment of every run in this workspace (after the paths,
    before a run's own extras), e.g. the reliability tests' fast retries and the base URL
    and token of a demo API they started (`use_api`). Without a base URL a run starts the
    embedded demo API, whose state lives in `demo_state_dir`.
    """

    root: Path
    settings: dict[str, str] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)  # every stdout/stderr, for secret scans
    project: Path = REPO_ROOT  # the checkout the commands run from (see `own_project`)

    @classmethod
    def create(cls, label: str, parent: Path | None = None) -> Workspace:
        """A workspace in a new temp folder (`bench-<label>-*` under `parent`)."""
        return cls(Path(tempfile.mkdtemp(prefix=f"bench-{label}-", dir=parent)))

    # -- paths ---------------------------------------------------------------------------
    @property
    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def pipelines_dir(self) -> Path:
        return self.root / "pipelines"

    @property
    def demo_state_dir(self) -> Path:
        return self.root / "demo_api"

    @property
    def pipeline_dir(self) -> Path:
        """dlt's folder for this workspace's warehouse (one per warehouse, see settings)."""
        from ingestion.settings import load_settings

        settings = load_settings().with_overrides(
            duckdb_path=str(self.duckdb_path), pipelines_dir=str(self.pipelines_dir)
        )
        return Path(settings.working_dir) / PIPELINE

    def summary(self, label: str) -> Path:
        return self.root / f"summary-{label}.json"

    def log(self, label: str) -> Path:
        return self.root / f"{label}.log"

    def own_project(self) -> Path:
        """Run from a copy of the checkout inside the workspace, so a test can edit the dbt
        project (a model, the SLA seed) as a user would, without touching the real one."""
        ignored = shutil.ignore_patterns(*PROJECT_COPY_IGNORES)
        self.project = self.root / "project"
        shutil.copytree(REPO_ROOT, self.project, ignore=ignored, symlinks=True)
        return self.project

    # -- running -------------------------------------------------------------------------
    def use_api(self, api: Any) -> Workspace:
        """Point every run at a demo API started by the test (its URL and token)."""
        self.settings = {**self.settings, BASE_URL: api.base_url, "API_KEY": api.token}
        return self

    def env(self, **extra: str | None) -> dict[str, str]:
        """This process's environment pointed at the workspace; an extra of None unsets."""
        env = dict(os.environ)
        for key in (BASE_URL, "API_KEY"):
            env.pop(key, None)
        env.update(
            DESTINATION__DUCKDB__CREDENTIALS=str(self.duckdb_path),
            ELT__PIPELINES_DIR=str(self.pipelines_dir),
            ELT__DEMO_API__STATE_DIR=str(self.demo_state_dir),
            DBT_TARGET_PATH=str(self.root / "dbt_target"),
            DBT_LOG_PATH=str(self.root / "dbt_logs"),
            PYTHONUNBUFFERED="1",
        )
        env.update(self.settings)
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def just(self, *args: str, **env: str | None) -> subprocess.CompletedProcess:
        """`just <args>` from the repository root, in this workspace."""
        proc = subprocess.run(
            ["just", *args],
            cwd=self.project,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=600,
        )
        self.outputs += [proc.stdout, proc.stderr]
        return proc

    def command(self, args: tuple[str, ...], via_just: bool) -> list[str]:
        if via_just:
            return ["just", "elt", *args]
        return [sys.executable, "-m", "cli", "elt", *args]

    def elt(self, *args: str, via_just: bool = False, **env: str | None) -> Run:
        """One ELT run (`python -m cli elt`, or `just elt`), timed."""
        cmd = self.command(args, via_just)
        started = time.monotonic()
        proc = subprocess.run(
            cmd, cwd=self.project, env=self.env(**env), capture_output=True, text=True, timeout=900
        )
        run = Run(cmd, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
        self.outputs += [proc.stdout, proc.stderr]
        return run

    def apply_demo_changes(self, count: int = 1) -> dict[str, Any]:
        """`count` change batches on the state of this workspace's embedded demo API (what
        `python -m ingestion.demo_api change` does between two runs); returns its report."""
        change = ["change", "--count", str(count), "--state-dir", str(self.demo_state_dir)]
        proc = subprocess.run(
            [sys.executable, "-m", "ingestion.demo_api", *change],
            cwd=self.project,
            capture_output=True,
            text=True,
            check=True,
        )
        return json.loads(proc.stdout)

    def start(self, *args: str, via_just: bool = False, **env: str | None) -> subprocess.Popen:
        """An ELT run in the background, in its own session (to kill its whole tree)."""
        return subprocess.Popen(
            self.command(args, via_just),
            cwd=self.project,
            env=self.env(**env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )

    def finish(self, proc: subprocess.Popen, started: float) -> Run:
        out, err = proc.communicate(timeout=900)
        self.outputs += [out, err]
        return Run(list(proc.args), proc.returncode, out, err, time.monotonic() - started)

    # -- reading the warehouse -----------------------------------------------------------
    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.duckdb_path), read_only=True)

    def query(self, sql: str) -> list[tuple]:
        with self.connect() as con:
            return con.execute(sql).fetchall()

    def scalar(self, sql: str):
        with self.connect() as con:
            return con.execute(sql).fetchone()[0]

    def ledger(self) -> list[tuple]:
        return self.query(
            "select status, cursor_before, cursor_after, error from ops.elt_runs"
            " order by started_at"
        )

    def local_cursor(self) -> str | None:
        path = self.pipeline_dir / "state.json"
        if not path.exists():
            return None
        return cursor_of(json.loads(path.read_text()))

    def pending_packages(self) -> list[str]:
        """Load packages dlt has extracted or normalized but not loaded yet."""
        found = []
        for sub in ("normalize/extracted", "load/normalized"):
            folder = self.pipeline_dir / sub
            if folder.is_dir():
                found += [f"{sub}/{p.name}" for p in folder.iterdir() if p.is_dir()]
        return sorted(found)

    def snapshot(self) -> Snapshot:
        with self.connect() as con:
            tables = {
                (s, t)
                for s, t in con.execute(
                    "select table_schema, table_name from information_schema.tables"
                ).fetchall()
            }
            incidents = (
                con.execute(
                    "select id, attributes__updated_at from raw.incidents order by id"
                ).fetchall()
                if ("raw", "incidents") in tables
                else []
            )
            dashboards = (
                con.execute(
                    "select id, _dlt_valid_from, _dlt_valid_to, attributes__updated_at,"
                    " attributes__name from raw.dashboards order by all"
                ).fetchall()
                if ("raw", "dashboards") in tables
                else []
            )
            raw_counts = {
                t: con.execute(f'select count(*) from raw."{t}"').fetchone()[0]
                for s, t in sorted(tables)
                if s == "raw"
            }
            marts, marts_full = {}, {}
            for s, t in sorted(tables):
                if s == "marts":
                    marts[t] = checksum(con, f"marts.{t}", skip_lineage=True)
                    marts_full[t] = checksum(con, f"marts.{t}", skip_lineage=False)
            destination_cursor = None
            if ("raw", "_dlt_pipeline_state") in tables:
                from dlt.common.versioned_state import decompress_state

                row = con.execute(
                    "select state from raw._dlt_pipeline_state order by version desc limit 1"
                ).fetchone()
                if row:
                    destination_cursor = cursor_of(decompress_state(row[0]))
            current_ids = {
                table: [
                    i
                    for (i,) in con.execute(
                        f"select id from raw.{table}"
                        + (" where _dlt_valid_to is null" if table in SCD2_TABLES else "")
                        + " order by id"
                    ).fetchall()
                ]
                for table in (*SCD2_TABLES, "alerts")
                if ("raw", table) in tables
            }
            max_loaded = max((u for _, u in incidents if u is not None), default=None)
            fct = (
                con.execute(
                    "select incident_id, updated_at from marts.fct_incidents where not is_deleted"
                ).fetchall()
                if ("marts", "fct_incidents") in tables
                else []
            )
            deleted = (
                {r[0] for r in con.execute("select id from raw.incident_deletions").fetchall()}
                if ("raw", "incident_deletions") in tables
                else set()
            )
            alerts = (
                con.execute(
                    "select alert_id, status, updated_at, service_count,"
                    " linked_incident_count, incident_id from marts.fct_alerts"
                ).fetchall()
                if ("marts", "fct_alerts") in tables
                else []
            )
            live = (
                {
                    r[0]
                    for r in con.execute(
                        "select dashboard_id from marts.dim_dashboards where not is_deleted"
                    ).fetchall()
                }
                if ("marts", "dim_dashboards") in tables
                else set()
            )
        return Snapshot(
            deleted_ids=deleted,
            incidents=incidents,
            dashboards=dashboards,
            raw_counts=raw_counts,
            marts=marts,
            marts_full=marts_full,
            local_cursor=self.local_cursor(),
            destination_cursor=destination_cursor,
            pending_packages=self.pending_packages(),
            max_loaded_updated_at=max_loaded,
            fct_incidents=sorted((i, parse_ts_naive_utc(u)) for i, u in fct),
            live_dim_dashboards=live,
            current_ids=current_ids,
            fct_alerts={a: (s, parse_ts_naive_utc(u), *rest) for a, s, u, *rest in alerts},
        )


# --------------------------------------------------------------------------------- helpers
def checksum(con, table: str, skip_lineage: bool, left_out: tuple[str, ...] = ()) -> str:
    """md5 over the table's rows in a stable order, without the `left_out` columns.

    With `skip_lineage`, dlt lineage columns are left out, and so are the rows that name an
    incident other than a live one (deleted upstream, or never loaded): what the API still
    has, which a full refresh (that can no longer load the deleted ones) must reproduce
    exactly. Rows that name no incident (an alert that became none) are kept.
    """
    schema, name = table.split(".")
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns"
            f" where table_schema = '{schema}' and table_name = '{name}' order by ordinal_position"
        ).fetchall()
        if not (skip_lineage and c in LINEAGE_COLUMNS) and c not in left_out
    ]
    select = ", ".join(f'"{c}"' for c in columns)
    where = ""
    if skip_lineage and "incident_id" in columns:
        # not `not in (deleted ids)`: a NULL incident_id would make that NULL, dropping
        # every alert that became no incident whenever some incident is deleted
        where = (
            " where incident_id is null or incident_id in"
            " (select incident_id from marts.fct_incidents where not is_deleted)"
        )
    sql = (
        f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), ''))"
        f" from (select (row({select}))::varchar as r from {table}{where})"
    )
    count, digest = con.execute(sql).fetchone()
    return f"{count}:{digest}"


def cursor_of(state: dict[str, Any]) -> str | None:
    try:
        resources = state["sources"][PIPELINE]["resources"]
        return resources["incidents"]["incremental"][CURSOR_PATH]["last_value"]
    except (KeyError, TypeError):
        return None


def parse_ts(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)


def parse_ts_naive_utc(value: datetime | None) -> datetime | None:
    """Marts hold UTC timestamps without a time zone."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
