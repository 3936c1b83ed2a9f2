"""One ELT run, as the sequence of its steps: API → load → build → audit → publish → ledger.

This module only orders the steps; each lives in the module named for it:
`extraction` (the API into a load package, in a child process of its own), `load` (into
raw), `build` (dbt build, whose tests are the audit), `publish` (make the audited build
visible), `runs` (lock and ledger). Around them, `recovery` and `cursors` keep dlt's local
state consistent with the warehouse, and `summary` reports what happened.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dlt

from ingestion.build import build
from ingestion.changes import current_fingerprints, published_fingerprints, tables_touched
from ingestion.cursors import incremental_cursors, rewind_cursors
from ingestion.errors import TransformError, explain
from ingestion.extraction import Extracted, extract_in_child
from ingestion.full_scans import last_scanned, scans_not_due
from ingestion.load import LoadResult, finish, make_pipeline, prepare
from ingestion.publish import publish
from ingestion.recovery import bind_state_to_warehouse
from ingestion.run_options import RunOptions
from ingestion.runs import (
    AlreadyRunningError,
    Ledger,
    WarehouseLockedError,
    elt_lock,
    wait_for_warehouse,
)
from ingestion.selection import (
    built_manifest,
    incremental_keys,
    plan_for_run,
    published_state_dir,
    rebuilt_relations,
    save_published_manifest,
)
from ingestion.settings import Settings
from ingestion.source import CADENCED_SCANS
from ingestion.summary import NO_CHANGES, PARTIAL, RunSummary, StepTimer


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
        ledger.defer(record | {"status": "refused", "error": explain(exc)})
        raise


@dataclass
class RunPipeline:
    """The run's dlt pipeline object, replaced by a fresh one once the extract's child
    process has changed the pipeline's folder (`_ingest`): whoever needs the pipeline after
    that, the ledger and a cursor rewind included, asks this holder."""

    pipeline: dlt.Pipeline


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
    run = RunPipeline(pipeline)
    try:
        summary = _run_steps(settings, run, options, record["run_id"])
    except BaseException as exc:
        if isinstance(exc, TransformError) and not options.backfill:
            rewind_cursors(run.pipeline, record["cursor_before"])
        ledger.write(run.pipeline, record | {"status": "failed", "error": explain(exc)})
        raise
    ledger.write(
        run.pipeline,
        record
        | {
            "status": "success",
            "rows": summary.rows,
            "pages": summary.pages,
            "cursor_after": summary.cursors_after,
            "deletions": summary.deletions,
            "build": summary.build,
        }
        | summary.fingerprints,
    )
    return summary


def _run_steps(
    settings: Settings, run: RunPipeline, options: RunOptions, run_id: str
) -> RunSummary:
    """API → load → build and audit → publish; the caller writes the ledger."""
    timer = StepTimer()
    cursors_before = incremental_cursors(run.pipeline)
    skipped_scans = plan_skipped_scans(run.pipeline, settings, options)
    ingested = _ingest(settings, run, options, timer, skipped_scans)
    pipeline, extracted, loaded = run.pipeline, ingested.extracted, ingested.loaded
    with timer.step("compare"):
        # the tables this run may have changed; None: read them all
        touched = (
            None
            if options.full_refresh or loaded.recovered or not pipeline.default_schema_name
            else tables_touched(pipeline.default_schema, loaded.rows)
        )
        fingerprints = current_fingerprints(pipeline, settings, run_id, touched)
        published = published_fingerprints(pipeline)
        unchanged = not options.full_refresh and fingerprints.same_as(published)
    dbt_results: list[dict[str, Any]] = []
    plan = None  # nothing to build: the ledger and the saved manifest need not be read
    if not unchanged:
        plan = plan_for_run(pipeline, fingerprints, published, run_id, options.full_refresh)
        with timer.step("dbt"):  # a failed model or data test raises TransformError: no publish
            dbt_results = build(pipeline, settings, full_refresh=options.full_refresh, plan=plan)
        with timer.step("publish"), pipeline.sql_client() as client:
            rebuilt = incremental = None
            if plan.partial:
                rebuilt = rebuilt_relations(dbt_results)
                # row by row only after a partial build, comparing rows with DuckDB's hash
                incremental = incremental_keys(built_manifest()) if settings.on_duckdb else None
            publish(client, rebuilt, incremental)
        save_published_manifest(published_state_dir(pipeline))
    return RunSummary(
        base_url=extracted.base_url,
        used_demo_api=settings.uses_demo_api,
        warehouse=settings.warehouse,
        pages=extracted.pages,
        rows=loaded.rows,
        http=extracted.http,
        dbt=dbt_results,
        seconds=timer.seconds,
        new_columns=loaded.new_columns,
        cursors_before=cursors_before,
        cursors_after=incremental_cursors(pipeline),
        deletions=extracted.deletions,
        build=NO_CHANGES if plan is None else PARTIAL if plan.partial else "built",
        build_reason="" if plan is None else plan.reason,
        unchanged_scans=loaded.unchanged_scans,
        scans_not_due=skipped_scans,
        repeated=extracted.repeated,
        reread_unchanged=extracted.reread_unchanged,
        fingerprints=fingerprints.ledger_columns(),
    )


@dataclass(frozen=True)
class Ingested:
    """What the API → raw steps report; nothing here refers to a parsed record."""

    extracted: Extracted
    loaded: LoadResult


def _ingest(
    settings: Settings,
    run: RunPipeline,
    options: RunOptions,
    timer: StepTimer,
    skipped_scans: list[str],
) -> Ingested:
    """API → raw: extract in a child process (`ingestion.extraction`), then normalize and
    load here. The child changed the pipeline's folder (package, schema, state) behind this
    process's pipeline object, so the run goes on with a fresh one read from there."""
    prepared = prepare(run.pipeline, timer, options.full_refresh, settings.normalize_workers)
    with timer.step("extract"):
        extracted = extract_in_child(settings, options, skipped_scans)
    run.pipeline = make_pipeline(settings)
    loaded = finish(
        run.pipeline,
        prepared,
        extracted.scan,
        timer,
        options.full_refresh,
        settings.normalize_workers,
    )
    return Ingested(extracted, loaded)


def plan_skipped_scans(
    pipeline: dlt.Pipeline, settings: Settings, options: RunOptions
) -> list[str]:
    """The full scans this run leaves out: loaded more recently than `full_scan_hours` ago.

    Every scan is due on a full refresh, when the run asks (`--full-scans`), and with the
    default cadence 0; a backfill reads incidents only anyway.
    """
    if options.full_refresh or options.full_scans or options.backfill:
        return []
    if settings.full_scan_hours <= 0:
        return []
    scanned = last_scanned(pipeline)
    return scans_not_due(scanned, list(CADENCED_SCANS), settings.full_scan_hours, datetime.now(UTC))
