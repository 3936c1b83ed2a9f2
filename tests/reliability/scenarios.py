"""Reliability scenarios: plain functions that drive one warehouse through faults and recoveries.

Each scenario takes a `Workspace` (pointed at a demo API with `use_api`) and that demo API,
runs the real pipeline in subprocesses, and returns what its tests assert on (exit code,
output, snapshots of raw rows, marts checksums and the cursor), captured right after the run,
so the tests only read captured facts and can run in any order.

A full ELT costs 15-70 s (dbt dominates), so scenarios share warehouses: every scenario is a
*step* (`@step`), run at most once per workspace, that first calls the steps it genuinely
needs on the same workspace (most need only `first_load`; `converged` needs every failure
before it). A single test therefore runs only its step and what that step needs.

Steps that share a workspace run in the order they are defined here (`ORDER`): the failures
that must change nothing (faults, locks, a kill in extract) cannot follow a kill in load,
whose package the next run would load first. `plan(ws, names)` names the steps a test session
will ask for; before a step runs, the planned steps that come earlier run first, so a full
session drives the warehouse through the whole sequence exactly once, in order:

first load -> change batch + every API fault -> locks -> two runs at once + SIGKILL in
extract -> change batch + SIGKILL in load -> change batch + SIGKILL in dbt -> clean rerun
(converges) -> idempotent rerun -> full refresh -> change batch read through transient
faults (a partial build, converges) -> change batch with a dbt test failure
(write-audit-publish) -> incremental rerun -> full-refresh rerun (converges).
"""

from __future__ import annotations

import contextlib
import functools
import os
import secrets
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import psutil

from ingestion.demo_api import DemoAPI
from tests.marts import differences_from_full_rebuild
from tests.workspace import Run, Snapshot, Workspace

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

HOOKS = Path(__file__).resolve().parent / "hooks"


def workspace(root: Path) -> Workspace:
    """A workspace whose runs use the fast retry settings (`FAST`); `use_api` to aim it."""
    return Workspace(root, settings=dict(FAST))


@dataclass
class Step:
    """A scenario step: its run(s), snapshots and anything else it noticed."""

    run: Run | None = None
    before: Snapshot | None = None
    after: Snapshot | None = None
    truth: dict[str, Any] | None = None
    notes: dict[str, Any] = field(default_factory=dict)


# ----------------------------------------------------------------------- steps and order
ORDER: list[str] = []  # every step, in the order steps run on one workspace
_STEPS: dict[str, Callable[[Workspace, DemoAPI], Any]] = {}


@dataclass
class _History:
    planned: set[str] = field(default_factory=set)
    results: dict[str, Any] = field(default_factory=dict)  # a result, or what it raised


_HISTORIES: dict[Path, _History] = {}  # by workspace root


class ScenarioOrderError(RuntimeError):
    """A step was asked for on a workspace that already went past it."""


def plan(ws: Workspace, names: set[str]) -> None:
    """The steps a session will ask for on `ws`: earlier ones run before later ones."""
    _HISTORIES.setdefault(ws.root, _History()).planned = set(names) & set(ORDER)


R = TypeVar("R")


def step(fn: Callable[[Workspace, DemoAPI], R]) -> Callable[[Workspace, DemoAPI], R]:
    """Make `fn(ws, demo)` a step: run once per workspace, in `ORDER` (definition order)."""
    name = fn.__name__
    ORDER.append(name)

    @functools.wraps(fn)
    def run(ws: Workspace, demo: DemoAPI) -> R:
        history = _HISTORIES.setdefault(ws.root, _History())
        if name not in history.results:
            position = ORDER.index(name)
            past = [n for n in history.results if ORDER.index(n) > position]
            if past:
                raise ScenarioOrderError(
                    f"{name} asked for after {past} ran on {ws.root}: plan() it for this session"
                )
            for earlier in ORDER[:position]:
                if earlier in history.planned and earlier not in history.results:
                    # a failure is reported to the tests that ask for that step
                    with contextlib.suppress(Exception):
                        _STEPS[earlier](ws, demo)
            try:
                history.results[name] = fn(ws, demo)
            except Exception as error:
                history.results[name] = error
                raise
        result = history.results[name]
        if isinstance(result, Exception):
            raise result
        return result

    _STEPS[name] = run
    return run


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


@contextlib.contextmanager
def elt_to_be_killed(ws: Workspace, result: Step, **env: str) -> Iterator[subprocess.Popen]:
    """Start the ELT in the background for the block to kill. On leaving, whatever is still
    alive is SIGKILLed, and `result` gets the run (reaped) and the warehouse after it."""
    started = time.monotonic()
    proc = ws.start(**env)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            kill_tree(proc.pid)
        result.run = ws.finish(proc, started)
        result.after = ws.snapshot()


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


def _dbt_child(pid: int) -> psutil.Process | None:
    for proc in process_tree(pid)[1:]:
        try:
            if "init_logging_and_run_dbt_command" in " ".join(proc.cmdline()):
                return proc
        except psutil.NoSuchProcess:
            continue
    return None


# ------------------------------------------------------------------------------ the faults
# Each case: demo API fault flags (None: leave the API healthy), extra env for the run,
# and phrases the one-line message must contain.
FAULT_CASES: dict[str, dict[str, Any]] = {
    "rate_limited_mid_run": {
        # a real limiter: 2 requests per minute, then 429 on whichever list dlt reads next
        # (dlt takes turns between the resources: alerts since they are loaded)
        "faults": {"rate_limit": 2, "rate_window": 60},
        "expect": ["HTTP 429", "/v1/", "rerun"],
    },
    # the vendor's current spec: X-RateLimit-* headers and a plain {"error": ...} 429 body
    "rate_limited_x_headers_plain_body": {
        "faults": {
            "rate_limit": 2,
            "rate_window": 60,
            "rate_limit_headers": "x",
            "rate_limit_body": "plain",
        },
        "expect": ["HTTP 429", "/v1/", "rerun"],
    },
    "rate_limited_no_headers_empty_body": {
        "faults": {
            "rate_limit": 2,
            "rate_window": 60,
            "rate_limit_headers": "none",
            "rate_limit_body": "empty",
        },
        "expect": ["HTTP 429", "/v1/", "rerun"],
    },
    "page_size_refused": {
        # an API stricter than the spec (page_size 20 passes the settings check, 1-100)
        "faults": {"max_page_size": 10},
        "expect": ["HTTP 400", "page[size]", "sources.analytics_api.page_size"],
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


# ------------------------------------------------------------------------------- scenarios
@step
def first_load(ws: Workspace, demo: DemoAPI) -> Step:
    """A healthy `just elt`: the last good build every failure below must leave published."""
    run = ws.elt(via_just=True)
    assert run.returncode == 0, run.describe()
    return Step(run=run, after=ws.snapshot(), truth=demo.ground_truth())


@step
def fault_runs(ws: Workspace, demo: DemoAPI) -> dict[str, Step]:
    """Upstream changes, then every fault in turn; each run should fail and change nothing.

    Needs a warehouse that holds a first load; the change batch is new data the failed runs
    must NOT half-load.
    """
    first_load(ws, demo)
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


@step
def lock_runs(ws: Workspace, demo: DemoAPI) -> dict[str, Step]:
    """The DuckDB file held by another process: refused at once, or waited for.

    Needs a warehouse that holds a first load (published marts that must stay as they are).
    """
    first_load(ws, demo)
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


@step
def concurrent_then_killed_in_extract(ws: Workspace, demo: DemoAPI) -> Step:
    """ELT A runs a slow extract; `just elt` B is refused; A is SIGKILLed.

    A is started as `python -m cli elt` (what `just elt` runs) so that its pid is
    the one holding the run lock and the one killed. Needs a warehouse that holds a first
    load.
    """
    first_load(ws, demo)
    before = ws.snapshot()
    # a dashboard a page at 1.5 s each: the extract outlasts run B by far
    demo.set_faults(**HEALTHY, slow_ms=1500)
    demo.reset_stats()
    result = Step(before=before)
    try:
        with elt_to_be_killed(
            ws, result, RUNTIME__REQUEST_TIMEOUT="30", SOURCES__ANALYTICS_API__PAGE_SIZE="1"
        ) as first:
            in_extract = wait_for(
                lambda: first.poll() is not None or demo.stats()["requests_total"] >= 1, 120, 0.1
            )
            result.notes["in_extract"] = in_extract
            result.notes["pid"] = first.pid
            second = ws.elt(via_just=True)
            result.notes["second"] = second
            result.notes["first_alive_when_second_finished"] = first.poll() is None
            result.notes["killed"] = kill_tree(first.pid)
    finally:
        demo.set_faults(**HEALTHY)
    return result


@step
def killed_in_load(ws: Workspace, demo: DemoAPI) -> Step:
    """SIGKILL at the moment dlt is about to load a normalized package.

    A test-only `sitecustomize` (tests/reliability/hooks) pauses the run right there and
    says so, so the kill lands in that window every time. Upstream changes first, so the
    package that did not load holds rows no later run can get from the API past its cursor.
    Needs a warehouse that holds a first load.
    """
    first_load(ws, demo)
    demo.apply_changes(1)
    before = ws.snapshot()
    marker = ws.root / "paused_before_load"
    marker.unlink(missing_ok=True)
    pythonpath = os.pathsep.join(filter(None, [str(HOOKS), os.environ.get("PYTHONPATH")]))
    result = Step(before=before)
    with elt_to_be_killed(
        ws, result, ELT_TEST_PAUSE_BEFORE_LOAD=str(marker), PYTHONPATH=pythonpath
    ) as proc:
        paused = wait_for(lambda: marker.exists() or proc.poll() is not None, 300, interval=0.01)
        result.notes["paused_before_load"] = paused and marker.exists() and proc.poll() is None
        result.notes["killed"] = kill_tree(proc.pid)
    return result


@step
def killed_in_dbt(ws: Workspace, demo: DemoAPI) -> Step:
    """Upstream changes; the run loads (first the package a kill in load left, if any, as
    after `killed_in_load`), starts dbt, and the whole tree is SIGKILLed.

    Needs a warehouse that holds a first load.
    """
    first_load(ws, demo)
    demo.apply_changes(1)
    before = ws.snapshot()
    log = ws.root / "dbt_logs" / "dbt.log"
    log_size = log.stat().st_size if log.exists() else 0
    result = Step(before=before)
    with elt_to_be_killed(ws, result) as proc:
        result.notes["dbt_started"] = wait_for(
            lambda: proc.poll() is not None or _dbt_child(proc.pid) is not None, 300, 0.05
        )

        def building() -> bool:  # dbt has created at least one relation of this build
            if proc.poll() is not None:
                return True
            return log.exists() and "OK created" in log.read_text(errors="replace")[log_size:]

        result.notes["dbt_building"] = wait_for(building, 300, 0.05)
        result.notes["alive_when_killed"] = proc.poll() is None
        result.notes["killed"] = kill_tree(proc.pid)
    result.truth = demo.ground_truth()
    return result


# What a clean rerun recovers from: every failure above, in this order on one warehouse.
FAILURES = (
    fault_runs,
    lock_runs,
    concurrent_then_killed_in_extract,
    killed_in_load,
    killed_in_dbt,
)


@step
def converged(ws: Workspace, demo: DemoAPI) -> Step:
    """The first clean rerun after all of the failures above (it needs every one of them)."""
    for failure in FAILURES:
        failure(ws, demo)
    before = ws.snapshot()
    run = ws.elt(via_just=True)
    return Step(run=run, before=before, after=ws.snapshot(), truth=demo.ground_truth())


@step
def idempotent_rerun(ws: Workspace, demo: DemoAPI) -> Step:
    """A rerun right after the converged one, with no upstream change."""
    before = converged(ws, demo).after
    run = ws.elt(via_just=True)
    return Step(run=run, before=before, after=ws.snapshot(), truth=demo.ground_truth())


@step
def full_refresh(ws: Workspace, demo: DemoAPI) -> Step:
    """`full_refresh=true` on the incremental warehouse of the idempotent rerun."""
    before = idempotent_rerun(ws, demo).after
    run = ws.elt("full_refresh=true", via_just=True)
    return Step(run=run, before=before, after=ws.snapshot(), truth=demo.ground_truth())


# Faults a run gets through: a tight limit in the vendor's X-RateLimit dialect with plain
# 429 bodies, timestamps in local UTC offsets, records repeated across pages, null
# attributes left out. None changes what the API holds, so the run must equal its truth.
TRANSIENT = {
    "rate_limit": 15,
    "rate_window": 1,
    "rate_limit_headers": "x",
    "rate_limit_body": "plain",
    "local_offsets": True,
    "duplicate_rate": 0.3,
    "omit_null_attributes": True,
}


@step
def partial_under_faults(ws: Workspace, demo: DemoAPI) -> Step:
    """After a clean full build: a change batch read through `TRANSIENT` faults. No run
    failed since that build, so this one takes the partial path; its marts must equal the
    API's ground truth and a whole `dbt build` of the same raw (`rebuild_differences`)."""
    full_refresh(ws, demo)
    demo.apply_changes(1)
    before = ws.snapshot()
    demo.set_faults(**TRANSIENT)
    try:
        # the limit's waits are a second long: let the retries honour them
        run = ws.elt(via_just=True, RUNTIME__REQUEST_MAX_RETRY_DELAY="2")
    finally:
        demo.set_faults(**HEALTHY)
    step = Step(run=run, before=before, after=ws.snapshot(), truth=demo.ground_truth())
    step.notes["rebuild_differences"] = differences_from_full_rebuild(ws)
    return step


@step
def audit_failure(ws: Workspace, demo: DemoAPI) -> Step:
    """Upstream changes arrive with `sequential_id` null: loads fine, fails a dbt not_null.

    Needs a warehouse that holds a first load (the last good marts that must stay published).
    """
    first_load(ws, demo)
    demo.apply_changes(1)
    before = ws.snapshot()
    demo.set_faults(**HEALTHY, retype_field="sequential_id=null", fault_resource="incidents")
    try:
        run = ws.elt()
    finally:
        demo.set_faults(**HEALTHY)
    after = ws.snapshot()
    bad = ws.query("select count(*) from raw.incidents where attributes__sequential_id is null")
    result = Step(run=run, before=before, after=after, truth=demo.ground_truth())
    result.notes["null_sequential_ids_in_raw"] = bad[0][0] if bad else 0
    return result


@step
def rerun_after_audit_failure(ws: Workspace, demo: DemoAPI) -> Step:
    """Upstream is healthy again; a plain (incremental) rerun after the audit failure."""
    before = audit_failure(ws, demo).after
    run = ws.elt()
    return Step(run=run, before=before, after=ws.snapshot(), truth=demo.ground_truth())


@step
def full_refresh_after_audit_failure(ws: Workspace, demo: DemoAPI) -> Step:
    """`full_refresh=true` after the plain rerun that followed the audit failure."""
    before = rerun_after_audit_failure(ws, demo).after
    run = ws.elt("full_refresh=true")
    return Step(run=run, before=before, after=ws.snapshot(), truth=demo.ground_truth())
