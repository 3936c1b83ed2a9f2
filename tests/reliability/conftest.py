"""Reliability scenario: one warehouse driven through faults, kills, locks and recoveries.

A full ELT costs 15-70 s (dbt dominates), so the cases share ONE isolated workspace and ONE
demo API (started here, with a unique token, so faults can be switched between runs and the
token can be searched for afterwards). The scenario is a chain of session-scoped fixtures;
each step runs the real pipeline in a subprocess and captures everything its tests assert
on (exit code, output, raw rows, marts checksums, cursor) right after the run, so the tests
themselves only read captured facts and can run in any order.

Chain: baseline -> upstream change -> API faults (each fails before loading) -> locks ->
two runs at once + SIGKILL in extract -> SIGKILL in load -> SIGKILL in dbt -> clean rerun
(converges) -> idempotent rerun -> full refresh -> audit failure (write-audit-publish) ->
incremental rerun -> full-refresh rerun (converges).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import psutil
import pytest

from ingestion.demo_api import run_demo_api

REPO_ROOT = Path(__file__).resolve().parents[2]
PIPELINE = "analytics_api"
CURSOR_PATH = "attributes.updated_at"

# small data, several pages: 120 incidents at 20 a page; a change batch touches ~40 of them
DEMO = {"seed": 42, "incidents": 120, "dashboards": 10, "change_fraction": 0.3}
FAST = {
    "SOURCES__ANALYTICS_API__PAGE_SIZE": "20",
    "RUNTIME__REQUEST_BACKOFF_FACTOR": "0.01",
    # every response carries RateLimit-Reset (up to a window away): cap the honoured wait
    "RUNTIME__REQUEST_MAX_RETRY_DELAY": "0.05",
    "RUNTIME__REQUEST_TIMEOUT": "5",
    # every run lists the incidents, so each converged run has seen every upstream deletion
    "SOURCES__ANALYTICS_API__DELETION_CHECK_HOURS": "0",
    # no re-read window: a record a run failed to load must come back through the cursor
    # staying put, not through the lag's overlap hiding a cursor that moved past it
    "SOURCES__ANALYTICS_API__LAG_SECONDS": "0",
}
# Unique per session, recognisable, and long enough that a chance match is impossible.
TOKEN = f"reltok-{secrets.token_hex(20)}"


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

    @property
    def current_dashboards(self) -> set[tuple[str, datetime, str]]:
        return {(d[0], d[3], d[4]) for d in self.dashboards if d[2] is None}


@dataclass
class Step:
    """A scenario step: its run(s), snapshots and anything else it noticed."""

    run: Run | None = None
    before: Snapshot | None = None
    after: Snapshot | None = None
    truth: dict[str, Any] | None = None
    notes: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------------- workspace
@dataclass
class Workspace:
    root: Path
    api_env: dict[str, str] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)  # every stdout/stderr, for the secret scan

    @property
    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def pipelines_dir(self) -> Path:
        return self.root / "pipelines"

    @property
    def pipeline_dir(self) -> Path:
        """dlt's folder for this workspace's warehouse (one per warehouse, see settings)."""
        from ingestion.settings import load_settings

        settings = load_settings().with_overrides(
            duckdb_path=str(self.duckdb_path), pipelines_dir=str(self.pipelines_dir)
        )
        return Path(settings.working_dir) / PIPELINE

    def env(self, **extra: str | None) -> dict[str, str]:
        env = dict(os.environ)
        for key in ("SOURCES__ANALYTICS_API__BASE_URL", "API_KEY"):
            env.pop(key, None)
        env.update(
            DESTINATION__DUCKDB__CREDENTIALS=str(self.duckdb_path),
            ELT__PIPELINES_DIR=str(self.pipelines_dir),
            ELT__DEMO_API__STATE_DIR=str(self.root / "embedded_demo_api"),
            DBT_TARGET_PATH=str(self.root / "dbt_target"),
            DBT_LOG_PATH=str(self.root / "dbt_logs"),
            PYTHONUNBUFFERED="1",
        )
        env.update(FAST)
        env.update(self.api_env)
        for key, value in extra.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env

    def command(self, args: tuple[str, ...], via_just: bool) -> list[str]:
        if via_just:
            return ["just", "elt", *args]
        return [sys.executable, "-m", "cli", "elt", *args]

    def elt(self, *args: str, via_just: bool = False, **env: str | None) -> Run:
        cmd = self.command(args, via_just)
        started = time.monotonic()
        proc = subprocess.run(
            cmd, cwd=REPO_ROOT, env=self.env(**env), capture_output=True, text=True, timeout=900
        )
        run = Run(cmd, proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
        self.outputs += [proc.stdout, proc.stderr]
        return run

    def start(self, *args: str, via_just: bool = False, **env: str | None) -> subprocess.Popen:
        return subprocess.Popen(
            self.command(args, via_just),
            cwd=REPO_ROOT,
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

    def ledger(self) -> list[tuple]:
        return self.query(
            "select status, cursor_before, cursor_after, error from ops.elt_runs"
            " order by started_at"
        )


def checksum(con, table: str, skip_lineage: bool) -> str:
    """md5 over the table's rows in a stable order.

    With `skip_lineage`, dlt lineage columns are left out, and so are the rows of incidents
    deleted upstream: what the API still has, which a full refresh (that can no longer
    load the deleted ones) must reproduce exactly.
    """
    schema, name = table.split(".")
    columns = [
        c
        for (c,) in con.execute(
            "select column_name from information_schema.columns"
            f" where table_schema = '{schema}' and table_name = '{name}' order by ordinal_position"
        ).fetchall()
        if not (skip_lineage and c in LINEAGE_COLUMNS)
    ]
    select = ", ".join(f'"{c}"' for c in columns)
    where = ""
    if skip_lineage and "incident_id" in columns:
        where = (
            " where incident_id not in"
            " (select incident_id from marts.fct_incidents where is_deleted)"
        )
    sql = (
        f"select count(*), md5(coalesce(string_agg(r, chr(10) order by r), ''))"
        f" from (select (row({select}))::varchar as r from {table}{where})"
    )
    count, digest = con.execute(sql).fetchone()
    return f"{count}:{digest}"


# Columns that record *when/which load* produced a row rather than what the API said: they
# change on every load by design (dlt's load id, the scd2 validity window).
LINEAGE_COLUMNS = frozenset({"dlt_load_id", "dlt_id", "valid_from", "valid_to"})


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


def truth_incidents(truth: dict[str, Any]) -> list[tuple[str, datetime]]:
    return sorted((r["id"], parse_ts(r["attributes"]["updated_at"])) for r in truth["incidents"])


def truth_dashboards(truth: dict[str, Any]) -> set[tuple[str, datetime, str]]:
    return {
        (r["id"], parse_ts(r["attributes"]["updated_at"]), r["attributes"]["name"])
        for r in truth["dashboards"]
    }


def normalised(snapshot: Snapshot) -> list[tuple[str, datetime]]:
    """raw.incidents as the API has them now: rows of incidents found deleted left out."""
    return sorted((i, parse_ts(u)) for i, u in snapshot.incidents if i not in snapshot.deleted_ids)


# --------------------------------------------------------------------------------- process
def process_tree(pid: int) -> list[psutil.Process]:
    try:
        parent = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return []
    return [parent, *parent.children(recursive=True)]


def kill_tree(pid: int) -> list[str]:
    """SIGKILL a process and all its descendants at once (no chance to clean up)."""
    victims = process_tree(pid)
    names = []
    for proc in victims:
        try:
            names.append(" ".join(proc.cmdline())[:80])
            proc.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    # the direct child is left for Popen to reap (psutil reaping it would turn its -9 into 0)
    psutil.wait_procs(victims[1:], timeout=30)
    return names


def wait_for(predicate, timeout: float, interval: float = 0.01) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return False


def closed_port() -> int:
    """A loopback port nobody listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------- scenario
@pytest.fixture(scope="session")
def demo(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("reliability_demo_api")
    with run_demo_api(state_dir=str(state_dir), token=TOKEN, **DEMO) as api:
        yield api


@pytest.fixture(scope="session")
def ws(tmp_path_factory, demo) -> Workspace:
    workspace = Workspace(tmp_path_factory.mktemp("reliability"))
    workspace.api_env = {"SOURCES__ANALYTICS_API__BASE_URL": demo.base_url, "API_KEY": demo.token}
    return workspace


@pytest.fixture(scope="session")
def baseline(ws, demo) -> Step:
    """The last good build every failure below must leave published."""
    run = ws.elt(via_just=True)
    assert run.returncode == 0, run.describe()
    return Step(run=run, after=ws.snapshot(), truth=demo.ground_truth())


# Each case: demo API fault flags (None: leave the API healthy), extra env for the run,
# and phrases the one-line message must contain.
FAULT_CASES: dict[str, dict[str, Any]] = {
    "rate_limited_mid_run": {
        # a real limiter: 2 requests per minute = dashboards page 1 + incidents page 1, then 429
        "faults": {"rate_limit": 2, "rate_window": 60},
        "expect": ["HTTP 429", "/v1/incidents", "rerun"],
    },
    # the vendor's current spec: X-RateLimit-* headers and a plain {"error": ...} 429 body
    "rate_limited_x_headers_plain_body": {
        "faults": {
            "rate_limit": 2,
            "rate_window": 60,
            "rate_limit_headers": "x",
            "rate_limit_body": "plain",
        },
        "expect": ["HTTP 429", "/v1/incidents", "rerun"],
    },
    "rate_limited_no_headers_empty_body": {
        "faults": {
            "rate_limit": 2,
            "rate_window": 60,
            "rate_limit_headers": "none",
            "rate_limit_body": "empty",
        },
        "expect": ["HTTP 429", "/v1/incidents", "rerun"],
    },
    "page_size_refused": {
        "env": lambda: {"SOURCES__ANALYTICS_API__PAGE_SIZE": "500"},
        "expect": ["HTTP 400", "page[size]"],
    },
    "always_429": {
        "faults": {"always_429": True, "fault_resource": "incidents"},
        "expect": ["HTTP 429", "after 3 attempts"],
    },
    "server_error_storm": {
        "faults": {"error_rate": 1.0, "fault_resource": "incidents"},
        "expect": ["HTTP 50", "after 3 attempts", "rerun later"],
    },
    "server_fails_after_pages": {
        "faults": {"fail_after_pages": 2, "fault_resource": "incidents"},
        "expect": ["HTTP 500", "/v1/incidents", "rerun later"],
    },
    "connection_refused": {
        "env": lambda: {
            "SOURCES__ANALYTICS_API__BASE_URL": f"http://127.0.0.1:{closed_port()}/v1/"
        },
        "expect": ["could not connect", "check base_url"],
    },
    "read_timeout": {
        "faults": {"slow_ms": 2500, "fault_resource": "incidents"},
        "env": lambda: {"RUNTIME__REQUEST_TIMEOUT": "1"},
        "expect": ["timed out", "rerun"],
    },
    "truncated_body": {
        "faults": {"truncate_page": 2, "fault_resource": "incidents"},
        "expect": ["not valid JSON", "nothing from this run was loaded"],
    },
    "html_body": {
        "faults": {"html_page": 2, "fault_resource": "incidents"},
        "expect": ["not valid JSON", "nothing from this run was loaded"],
    },
    "dashboards_page_truncated": {
        "faults": {"truncate_page": 1, "fault_resource": "dashboards"},
        "expect": ["not valid JSON"],
    },
    "core_field_renamed": {
        "faults": {"rename_field": "title=headline", "fault_from_page": 2},
        "expect": ["'attributes.title' is missing", "nothing was loaded"],
    },
    "core_field_retyped": {
        "faults": {"retype_field": "sequential_id=string", "fault_from_page": 2},
        "expect": ["'attributes.sequential_id' changed type", "nothing was loaded"],
    },
    "wrong_token": {
        "env": lambda: {"API_KEY": "wrong-" + secrets.token_hex(8)},
        "expect": ["rejected the token", "HTTP 401", "API_KEY"],
    },
    "no_token": {
        "env": lambda: {"API_KEY": None},
        "expect": ["no API token", "API_KEY"],
    },
    # 5 a page: the 9 dashboards span 2 pages, and page 2 comes back 200 without `data`
    "page_without_data": {
        "faults": {"no_data_page": 2, "fault_resource": "dashboards"},
        "env": lambda: {"SOURCES__ANALYTICS_API__PAGE_SIZE": "5"},
        "expect": ["data", "dashboards"],
    },
}

HEALTHY = {
    "rate_limit": 3000,
    "rate_window": 60,
    "rate_limit_headers": "ietf",
    "rate_limit_body": "jsonapi",
}


@pytest.fixture(scope="session")
def fault_runs(ws, demo, baseline) -> dict[str, Step]:
    """Upstream changes, then every fault in turn; each run should fail and change nothing."""
    demo.apply_changes(1)
    steps: dict[str, Step] = {}
    for name, case in FAULT_CASES.items():
        before = ws.snapshot()
        demo.set_faults(**(HEALTHY | case.get("faults", {})))
        extra = case["env"]() if "env" in case else {}
        run = ws.elt(**extra)
        demo.set_faults(**HEALTHY)
        steps[name] = Step(run=run, before=before, after=ws.snapshot())
    return steps


@pytest.fixture(scope="session")
def lock_runs(ws, demo, fault_runs) -> dict[str, Step]:
    """The DuckDB file held by another process: refused at once, or waited for."""
    steps: dict[str, Step] = {}
    before = ws.snapshot()
    holder = duckdb.connect(str(ws.duckdb_path))  # a writer: takes the file lock
    try:
        run = ws.elt()
    finally:
        holder.close()
    steps["held_no_wait"] = Step(run=run, before=before, after=ws.snapshot())

    # bounded wait: the holder lets go after 3 s, the run waits up to 60 s and proceeds;
    # a wrong token then stops it right after the wait, so no dbt build is spent here
    holder = duckdb.connect(str(ws.duckdb_path))
    release = threading.Timer(3.0, holder.close)
    release.start()
    try:
        run = ws.elt(ELT__LOCK_WAIT_SECONDS="60", API_KEY="wrong-" + secrets.token_hex(8))
    finally:
        release.join()
    steps["held_then_released"] = Step(run=run, before=before, after=ws.snapshot())

    holder = duckdb.connect(str(ws.duckdb_path))
    try:
        run = ws.elt(ELT__LOCK_WAIT_SECONDS="2")
    finally:
        holder.close()
    steps["held_beyond_wait"] = Step(run=run, before=before, after=ws.snapshot())
    return steps


@pytest.fixture(scope="session")
def concurrent_then_killed_in_extract(ws, demo, lock_runs) -> Step:
    """ELT A runs a slow extract; `just elt` B is refused; A is SIGKILLed.

    A is started as `python -m cli elt` (what `just elt` runs) so that its pid is
    the one holding the run lock and the one killed.
    """
    before = ws.snapshot()
    # a dashboard a page at 1.5 s each: the extract outlasts run B by far
    demo.set_faults(**HEALTHY, slow_ms=1500)
    demo.reset_stats()
    started = time.monotonic()
    first = ws.start(RUNTIME__REQUEST_TIMEOUT="30", SOURCES__ANALYTICS_API__PAGE_SIZE="1")
    step = Step(before=before)
    try:
        in_extract = wait_for(
            lambda: first.poll() is not None or demo.stats()["requests_total"] >= 1, 120, 0.1
        )
        step.notes["in_extract"] = in_extract
        step.notes["pid"] = first.pid
        second = ws.elt(via_just=True)
        step.notes["second"] = second
        step.notes["first_alive_when_second_finished"] = first.poll() is None
        step.notes["killed"] = kill_tree(first.pid)
    finally:
        if first.poll() is None:
            kill_tree(first.pid)
        demo.set_faults(**HEALTHY)
    step.run = ws.finish(first, started)
    step.after = ws.snapshot()
    return step


@pytest.fixture(scope="session")
def killed_in_load(ws, demo, concurrent_then_killed_in_extract) -> Step:
    """SIGKILL at the moment dlt is about to load a normalized package.

    A test-only `sitecustomize` (tests/reliability/hooks) pauses the run right there and
    says so, so the kill lands in that window every time. Upstream changes first, so the
    package that did not load holds rows no later run can get from the API past its cursor.
    """
    demo.apply_changes(1)
    before = ws.snapshot()
    marker = ws.root / "paused_before_load"
    marker.unlink(missing_ok=True)
    hooks = str(Path(__file__).resolve().parent / "hooks")
    pythonpath = os.pathsep.join(filter(None, [hooks, os.environ.get("PYTHONPATH")]))
    started = time.monotonic()
    proc = ws.start(ELT_TEST_PAUSE_BEFORE_LOAD=str(marker), PYTHONPATH=pythonpath)
    step = Step(before=before)
    try:
        paused = wait_for(lambda: marker.exists() or proc.poll() is not None, 300, interval=0.01)
        step.notes["paused_before_load"] = paused and marker.exists() and proc.poll() is None
        step.notes["killed"] = kill_tree(proc.pid)
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
    step.run = ws.finish(proc, started)
    step.after = ws.snapshot()
    return step


def _dbt_child(pid: int) -> psutil.Process | None:
    for proc in process_tree(pid)[1:]:
        try:
            if "init_logging_and_run_dbt_command" in " ".join(proc.cmdline()):
                return proc
        except psutil.NoSuchProcess:
            continue
    return None


@pytest.fixture(scope="session")
def killed_in_dbt(ws, demo, killed_in_load) -> Step:
    """Upstream changes; the run recovers, loads, starts dbt, and the whole tree is SIGKILLed."""
    demo.apply_changes(1)
    before = ws.snapshot()
    log = ws.root / "dbt_logs" / "dbt.log"
    log_size = log.stat().st_size if log.exists() else 0
    started = time.monotonic()
    proc = ws.start()
    step = Step(before=before)
    try:
        step.notes["dbt_started"] = wait_for(
            lambda: proc.poll() is not None or _dbt_child(proc.pid) is not None, 300, 0.05
        )

        def building() -> bool:  # dbt has created at least one relation of this build
            if proc.poll() is not None:
                return True
            return log.exists() and "OK created" in log.read_text(errors="replace")[log_size:]

        step.notes["dbt_building"] = wait_for(building, 300, 0.05)
        step.notes["alive_when_killed"] = proc.poll() is None
        step.notes["killed"] = kill_tree(proc.pid)
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
    step.run = ws.finish(proc, started)
    step.after = ws.snapshot()
    step.truth = demo.ground_truth()
    return step


@pytest.fixture(scope="session")
def converged(ws, demo, killed_in_dbt) -> Step:
    """The first clean rerun after all of the above."""
    before = ws.snapshot()
    run = ws.elt(via_just=True)
    return Step(run=run, before=before, after=ws.snapshot(), truth=demo.ground_truth())


@pytest.fixture(scope="session")
def idempotent_rerun(ws, demo, converged) -> Step:
    run = ws.elt(via_just=True)
    return Step(run=run, before=converged.after, after=ws.snapshot(), truth=demo.ground_truth())


@pytest.fixture(scope="session")
def full_refresh(ws, demo, idempotent_rerun) -> Step:
    run = ws.elt("full_refresh=true", via_just=True)
    return Step(
        run=run, before=idempotent_rerun.after, after=ws.snapshot(), truth=demo.ground_truth()
    )


@pytest.fixture(scope="session")
def audit_failure(ws, demo, full_refresh) -> Step:
    """Upstream changes arrive with `sequential_id` null: loads fine, fails a dbt not_null."""
    demo.apply_changes(1)
    before = ws.snapshot()
    demo.set_faults(**HEALTHY, retype_field="sequential_id=null", fault_resource="incidents")
    try:
        run = ws.elt()
    finally:
        demo.set_faults(**HEALTHY)
    after = ws.snapshot()
    bad = ws.query("select count(*) from raw.incidents where attributes__sequential_id is null")
    step = Step(run=run, before=before, after=after, truth=demo.ground_truth())
    step.notes["null_sequential_ids_in_raw"] = bad[0][0] if bad else 0
    return step


@pytest.fixture(scope="session")
def rerun_after_audit_failure(ws, demo, audit_failure) -> Step:
    """Upstream is healthy again; a plain (incremental) rerun."""
    run = ws.elt()
    return Step(run=run, before=audit_failure.after, after=ws.snapshot(), truth=demo.ground_truth())


@pytest.fixture(scope="session")
def full_refresh_after_audit_failure(ws, demo, rerun_after_audit_failure) -> Step:
    run = ws.elt("full_refresh=true")
    return Step(
        run=run,
        before=rerun_after_audit_failure.after,
        after=ws.snapshot(),
        truth=demo.ground_truth(),
    )
