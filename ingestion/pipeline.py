"""One ELT run: extract, normalize and load the API into DuckDB, then dbt through dlt's runner.

The steps are called one by one (not `pipeline.run`) so each is timed for the summary and so
that a package left behind by a failed run is finished before new data is extracted: dlt
keeps it, with the incremental state it carries, until it loads.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa
from dlt.common.runners import Venv
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials
from dlt.helpers.dbt import create_runner
from dlt.helpers.dbt.exceptions import DBTProcessingError

from ingestion.arrow_pages import adopt_nested_tables, prune_orphans
from ingestion.deletions import RESOURCE as DELETIONS
from ingestion.deletions import DeletionCheck, check_due, last_checked, read_known
from ingestion.http import ApiSession, RetryPolicy
from ingestion.publish import BUILD_SUFFIX, publish
from ingestion.runs import (
    AlreadyRunningError,
    Ledger,
    WarehouseLockedError,
    elt_lock,
    wait_for_warehouse,
)
from ingestion.settings import (
    RAW_DATASET,
    REPO_ROOT,
    SOURCE_NAME,
    Settings,
    env_name,
    read_api_key,
)
from ingestion.source import (
    ARROW_RESOURCES,
    Backfill,
    analytics_api_source,
    deletion_listing_params,
)

LOADER_FILE_FORMAT = "parquet"  # dlt's default for DuckDB (SQL insert text) is ~25x slower
DBT_PROFILE = "analytics"


class ConfigurationError(Exception):
    """The run cannot start: a setting is missing or contradictory."""


class TransformError(Exception):
    """dbt failed: a model did not build or a data test found bad rows."""

    def __init__(self, message: str, results: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.results = results


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


@dataclass(frozen=True)
class RunOptions:
    """What kind of run: the hourly sync (default), a full refresh, or a backfill."""

    full_refresh: bool = False
    backfill: Backfill | None = None
    extra_resources: tuple[dict[str, Any], ...] = ()
    check_deletions: bool = False  # list every incident now, whatever the cadence says


@dataclass
class LoadResult:
    rows: dict[str, int]
    new_columns: dict[str, list[str]]


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

    @property
    def models_built(self) -> int:
        return sum(1 for r in self.dbt if r["kind"] == "model" and r["status"] == "success")

    @property
    def tests_passed(self) -> int:
        return sum(1 for r in self.dbt if r["kind"] == "test" and r["status"] == "pass")

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {
            "models_built": self.models_built,
            "tests_passed": self.tests_passed,
        }

    def render(self) -> str:
        source = "demo API" if self.used_demo_api else self.base_url
        lines = [f"ELT finished: {source} -> {self.warehouse}"]
        tables = {r for r in self.rows if "__" not in r and r != DELETIONS}
        for resource in sorted(set(self.pages) | tables):
            children = {t: n for t, n in self.rows.items() if t.startswith(f"{resource}__")}
            child_text = "".join(f", {n} {t}" for t, n in sorted(children.items()))
            lines.append(
                f"  {resource:<12} {self.pages.get(resource, 0):>6} pages"
                f" {self.rows.get(resource, 0):>8} rows{child_text}"
            )
        lines.append(
            f"  http         {sum(self.pages.values())} requests, {self.http['retries']} retries,"
            f" {self.http['rate_limited']} rate-limited (429)"
        )
        lines.append(
            f"  dbt          {self.models_built} models built, {self.tests_passed} tests passed"
        )
        lines.append(f"  deletions    {describe_deletions(self.deletions)}")
        for table, columns in sorted(self.new_columns.items()):
            lines.append(f"  new columns  {table}: {', '.join(columns)}")
        for resource in sorted(set(self.cursors_before) | set(self.cursors_after)):
            before = self.cursors_before.get(resource) or "(first run)"
            after = self.cursors_after.get(resource)
            lines.append(f"  cursor       {resource}.updated_at {before} -> {after}")
        steps = ", ".join(f"{name} {secs:.1f}s" for name, secs in self.seconds.items())
        lines.append(f"  seconds      {steps}")
        return "\n".join(lines)


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


@contextlib.contextmanager
def api_endpoint(settings: Settings) -> Iterator[tuple[str, str]]:
    """Yield (base_url, token): the configured API, or the bundled demo API on loopback."""
    if settings.uses_demo_api:
        from ingestion.demo_api import run_demo_api

        with run_demo_api(
            seed=settings.demo_seed,
            incidents=settings.demo_incidents,
            dashboards=settings.demo_dashboards,
            rate_limit=settings.demo_rate_limit,
            state_dir=settings.demo_state_dir,
        ) as api:
            yield api.base_url, api.token
        return
    token = read_api_key()
    if not token:
        raise ConfigurationError(
            "no API token: set api_key in .dlt/secrets.toml or env API_KEY"
            " (or unset base_url to use the demo API)"
        )
    yield settings.base_url, token


def make_pipeline(settings: Settings) -> dlt.Pipeline:
    """The dlt pipeline for the configured warehouse; PostgreSQL credentials come from dlt's
    standard DESTINATION__POSTGRES__CREDENTIALS."""
    if settings.on_duckdb:
        credentials = DuckDbCredentials(
            settings.duckdb_path, global_config={"memory_limit": settings.duckdb_memory_limit}
        )
        destination = dlt.destinations.duckdb(credentials=credentials)
    else:
        destination = dlt.destinations.postgres()
    return dlt.pipeline(
        pipeline_name=settings.pipeline_name,
        destination=destination,
        dataset_name=RAW_DATASET,
        pipelines_dir=settings.working_dir,
        # rows per resource while it runs; on stdout, so stderr stays the one-line error
        progress=dlt.progress.log(log_period=5.0, logger=sys.stdout, dump_system_stats=False)
        if settings.progress
        else None,
    )


def loader_file_format(settings: Settings) -> str | None:
    # Parquet makes DuckDB loads ~25x faster than SQL inserts; PostgreSQL cannot read it,
    # so it keeps dlt's default there.
    return LOADER_FILE_FORMAT if settings.on_duckdb else None


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.request_max_attempts,
        backoff_factor=settings.request_backoff_factor,
        max_delay=settings.request_max_retry_delay,
        timeout=settings.request_timeout,
    )


def table_columns(pipeline: dlt.Pipeline) -> dict[str, set[str]]:
    """Data columns per table in the pipeline's schema (empty before the first run)."""
    if not pipeline.default_schema_name:
        return {}
    return {
        table["name"]: {c for c in table.get("columns", {}) if not c.startswith("_dlt")}
        for table in pipeline.default_schema.data_tables()
    }


def scd2_resources(source: Any) -> list[str]:
    """Selected resources loaded with the scd2 merge strategy (they keep history)."""
    return [
        name
        for name, resource in source.selected_resources.items()
        if isinstance(resource.write_disposition, dict)
        and resource.write_disposition.get("strategy") == "scd2"
    ]


def bind_state_to_warehouse(pipeline: dlt.Pipeline) -> None:
    """Make the run's cursors the warehouse's own, before anything is read from the API.

    The local folder is per warehouse (`Settings.working_dir`), but it can still disagree
    with the warehouse: a fresh checkout has no folder, a warehouse file may have been
    deleted or replaced. dlt's `sync_destination` (which only `pipeline.run` calls, and
    this project runs the steps one by one) settles it: the warehouse's newer state
    replaces the local one, and a local state whose warehouse holds no dataset is wiped,
    so an empty warehouse gets a full load.
    """
    pipeline.sync_destination()


def finish_interrupted_commit(pipeline: dlt.Pipeline) -> None:
    """Complete a normalize commit that a kill cut in half.

    dlt commits a normalized package by renaming it into `load/normalized/`, then deleting
    the extracted files. Killed between the two, the package exists twice and re-normalizing
    it fails forever with "Directory not empty". The normalized copy is complete, so the
    commit is finished here the way dlt would have: by deleting the extracted copy.
    """
    normalized = set(pipeline.list_normalized_load_packages())
    twice = [
        load_id for load_id in pipeline.list_extracted_load_packages() if load_id in normalized
    ]
    if twice:
        storage = pipeline._get_normalize_storage()
        for load_id in twice:
            storage.extracted_packages.delete_package(load_id)


def load(
    pipeline: dlt.Pipeline,
    source: Any,
    timer: StepTimer,
    full_refresh: bool,
    file_format: str | None = LOADER_FILE_FORMAT,
    workers: int = 1,
) -> LoadResult:
    """Extract, normalize, load; returns rows per table and columns the API newly sent."""
    if pipeline.has_pending_data:  # a previous run died after extract: finish it first
        finish_interrupted_commit(pipeline)
        with timer.step("recover"):
            pipeline.normalize(workers=workers)
            load_and_prune(pipeline)
    adopt_earlier_schema(pipeline)
    known = {} if full_refresh else table_columns(pipeline)
    with timer.step("extract"):
        if full_refresh:
            # scd2 tables are a full scan every run anyway: keep their history (which
            # dashboards were deleted, and when) and start everything else from scratch
            history = scd2_resources(source)
            rest = [name for name in source.selected_resources if name not in history]
            if rest:
                pipeline.extract(
                    source.with_resources(*rest),
                    refresh="drop_resources",
                    loader_file_format=file_format,
                )
            if history:
                pipeline.extract(source.with_resources(*history), loader_file_format=file_format)
        else:
            pipeline.extract(source, loader_file_format=file_format)
    with timer.step("normalize"):
        info = pipeline.normalize(workers=workers)
    # the Arrow batches are written: give their buffers back before DuckDB and dbt need memory
    pa.default_memory_pool().release_unused()
    rows: dict[str, int] = {}
    for table, count in info.row_counts.items():
        if not table.startswith("_dlt"):
            rows[table] = rows.get(table, 0) + count
    new_columns = {
        table: sorted(columns - known[table])
        for table, columns in table_columns(pipeline).items()
        if table in known and columns - known[table]
    }
    with timer.step("load"):
        load_and_prune(pipeline)
    return LoadResult(rows, new_columns)


@contextlib.contextmanager
def exported(variables: dict[str, str]) -> Iterator[None]:
    """Environment variables for a child process (dbt), put back as they were afterwards."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def adopt_earlier_schema(pipeline: dlt.Pipeline) -> None:
    """Carry a warehouse loaded by an earlier version over to Arrow ingestion, in place."""
    if not pipeline.default_schema_name:
        return
    schema = pipeline.default_schema
    adopted = [table for root in ARROW_RESOURCES for table in adopt_nested_tables(schema, root)]
    if adopted:
        pipeline.schemas.save_schema(schema)


def load_and_prune(pipeline: dlt.Pipeline) -> None:
    """dlt's load, then drop the child rows of replaced records (see `prune_orphans`)."""
    pipeline.load()
    with pipeline.sql_client() as client:
        prune_orphans(client, pipeline.default_schema)


def dbt_runner(pipeline: dlt.Pipeline):
    """dlt's dbt runner on the root dbt project, with the project's own profiles.yml.

    dlt's built-in profile for DuckDB loads network extensions; ours does not, and it is the
    same profile `dbt docs serve` uses. The runner exports the destination credentials as
    DLT__CREDENTIALS__* for the profile to read.
    """
    with pipeline.destination_client() as client:
        config = client.config
    return create_runner(
        Venv.restore_current(),
        config,
        working_dir=pipeline.working_dir,
        package_location=str(REPO_ROOT),
        package_profiles_dir=str(REPO_ROOT),
        package_profile_name=DBT_PROFILE,
    )


def transform(
    pipeline: dlt.Pipeline, target: str = "duckdb", full_refresh: bool = False
) -> list[dict[str, Any]]:
    """One `dbt build` (seeds, models and tests in DAG order) through dlt's runner.

    dlt's runner offers run/test/run_all (four dbt processes); one build is one process and
    runs each model's tests before its children are built. Everything is built into the
    `__build` schemas; `publish` makes it visible only once all of it passed. dbt unit tests
    check the SQL against fixed inputs, so they run in CI (`tests/transform`), not on every
    load, as dbt recommends.
    """
    runner = dbt_runner(pipeline)
    args = [
        "--target",
        target,
        "--exclude-resource-type",
        "unit_test",
        *(["--full-refresh"] if full_refresh else []),
    ]
    variables = runner._get_package_vars({"schema_suffix": BUILD_SUFFIX})
    try:
        results = runner._run_dbt_command("build", args, variables)
    except DBTProcessingError as err:
        parsed = _results(err.run_results)
        raise TransformError(_describe_dbt_failure(parsed, err), parsed) from None
    return _results(results)


def _results(results: Any) -> list[dict[str, Any]]:
    out = []
    for r in results or []:
        status = str(r.status)
        kind = "test" if status in {"pass", "fail", "warn"} else "model"
        out.append(
            {
                "name": r.model_name,
                "status": status,
                "kind": kind,
                "message": r.message,
                "seconds": r.time,
            }
        )
    return out


def _describe_dbt_failure(results: list[dict[str, Any]], err: DBTProcessingError) -> str:
    failed = [r for r in results if r["status"] in {"fail", "error"}]
    if not failed:
        return f"dbt {err.command} failed: {err.dbt_results}"
    first = failed[0]
    more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
    return f"dbt: {first['name']} {first['status']}: {first['message']}{more}"


def incremental_cursors(pipeline: dlt.Pipeline) -> dict[str, Any]:
    """The stored `last_value` of each incremental resource, as dlt's state holds it."""
    resources = pipeline.state.get("sources", {}).get(SOURCE_NAME, {})
    cursors = {}
    for name, state in resources.get("resources", {}).items():
        for cursor in state.get("incremental", {}).values():
            cursors[name] = cursor.get("last_value")
    return cursors


def rewind_cursors(pipeline: dlt.Pipeline, before: dict[str, Any]) -> None:
    """Put the incremental cursors back where the last published run left them.

    The rows of a run whose dbt tests failed are loaded (raw is what the API said), but the
    run was not published. Rewinding makes the next run re-read them, so once upstream fixes
    the data a plain rerun converges; merge on `id` makes the re-read harmless.
    """
    with pipeline.managed_state(extract_state=True) as state:
        resources = state.get("sources", {}).get(SOURCE_NAME, {}).get("resources", {})
        for name, resource_state in resources.items():
            incremental = resource_state.get("incremental", {})
            if name not in before:
                incremental.clear()  # never published: start again from initial_value
                continue
            for cursor in incremental.values():
                cursor["last_value"] = before[name]
                cursor["unique_hashes"] = []


def run_elt(settings: Settings, options: RunOptions | None = None) -> RunSummary:
    """One whole run under the warehouse lock; every run that starts lands in the ledger.

    A run refused by the run lock or by a busy warehouse is recorded as `refused` (kept in
    the working folder until the next run writes the ledger, see `runs.Ledger`); a run that
    got the warehouse is recorded as `running` first, so one killed on the way is found by
    the next run and marked `interrupted`.
    """
    options = options or RunOptions()
    ledger = Ledger(settings.working_dir)
    record: dict[str, Any] = {
        "run_id": uuid.uuid4().hex,
        "started_at": datetime.now(UTC),
        "source": "demo API" if settings.uses_demo_api else settings.base_url,
        "full_refresh": options.full_refresh,
    }
    pipeline = make_pipeline(settings)
    try:
        with elt_lock(settings.lock_path, settings.warehouse):
            if settings.on_duckdb:
                wait_for_warehouse(settings.duckdb_path, settings.lock_wait_seconds)
            return _run_recorded(settings, pipeline, options, ledger, record)
    except (AlreadyRunningError, WarehouseLockedError) as exc:
        from ingestion.errors import explain

        ledger.defer(record | {"status": "refused", "error": explain(exc)})
        raise


def _run_recorded(
    settings: Settings,
    pipeline: dlt.Pipeline,
    options: RunOptions,
    ledger: Ledger,
    record: dict[str, Any],
) -> RunSummary:
    """The run itself, with its ledger row written before and after."""
    bind_state_to_warehouse(pipeline)
    record["cursor_before"] = incremental_cursors(pipeline)
    ledger.start(pipeline, record | {"status": "running"})
    try:
        summary = _run(settings, pipeline, options)
    except BaseException as exc:
        from ingestion.errors import explain

        if isinstance(exc, TransformError) and not options.backfill:
            rewind_cursors(pipeline, record["cursor_before"])
        ledger.write(pipeline, record | {"status": "failed", "error": explain(exc)})
        raise
    ledger.write(
        pipeline,
        record
        | {
            "status": "success",
            "rows": summary.rows,
            "pages": summary.pages,
            "cursor_after": summary.cursors_after,
            "deletions": summary.deletions,
        },
    )
    return summary


def _run(settings: Settings, pipeline: dlt.Pipeline, options: RunOptions) -> RunSummary:
    timer = StepTimer()
    cursors_before = incremental_cursors(pipeline)
    deletion_check = plan_deletion_check(pipeline, settings, options)
    with api_endpoint(settings) as (base_url, token):
        session = ApiSession(base_url, retry_policy(settings))
        source = analytics_api_source(
            settings,
            base_url,
            token,
            session,
            list(options.extra_resources),
            options.backfill,
            deletion_check,
        )
        loaded = load(
            pipeline,
            source,
            timer,
            options.full_refresh,
            loader_file_format(settings),
            settings.normalize_workers,
        )
    # profiles.yml reads it: dbt's DuckDB gets the same memory cap as the load's
    memory_limit = {env_name("elt.duckdb_memory_limit"): settings.duckdb_memory_limit}
    with timer.step("dbt"), exported(memory_limit):
        dbt_results = transform(pipeline, settings.target, full_refresh=options.full_refresh)
    with timer.step("publish"), pipeline.sql_client() as client:
        publish(client)
    pages = {path.rstrip("/").rsplit("/", 1)[-1]: n for path, n in session.stats.requests.items()}
    return RunSummary(
        base_url=base_url,
        used_demo_api=settings.uses_demo_api,
        warehouse=settings.warehouse,
        pages=pages,
        rows=loaded.rows,
        http=session.stats.as_dict(),
        dbt=dbt_results,
        seconds=timer.seconds,
        new_columns=loaded.new_columns,
        cursors_before=cursors_before,
        cursors_after=incremental_cursors(pipeline),
        deletions=deletion_check.summary() if deletion_check else {},
    )


def plan_deletion_check(
    pipeline: dlt.Pipeline, settings: Settings, options: RunOptions
) -> DeletionCheck | None:
    """This run's deletion check, when the cadence (or the run's flag) says it is due.

    The incident ids the warehouse holds are read now, before anything loads; a full
    refresh starts from an empty warehouse, where nothing can have been deleted.
    """
    if options.backfill:
        return None
    now = datetime.now(UTC)
    checked = None if options.full_refresh else last_checked(pipeline.state, SOURCE_NAME)
    if not check_due(checked, settings.deletion_check_hours, now, options.check_deletions):
        return None
    known: set[str] = set()
    previously: dict[str, datetime] = {}
    if not options.full_refresh and pipeline.default_schema_name:
        with pipeline.sql_client() as client:
            known, previously = read_known(client)
    return DeletionCheck(deletion_listing_params(settings), known, previously, now)
