"""Getting the API's data into the warehouse's raw tables: the dlt pipeline for the
configured destination, and extract → normalize → load with the full-refresh rules.

The steps are called one by one (not `pipeline.run`) so each is timed for the summary and so
that a package left behind by a failed run is finished before new data is extracted: dlt
keeps it, with the incremental state it carries, until it loads.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dlt
import pyarrow as pa
from dlt.destinations.impl.duckdb.configuration import DuckDbCredentials

from ingestion.arrow_pages import prune_orphans
from ingestion.full_scans import drop_unchanged_scans, record_scans
from ingestion.recovery import adopt_earlier_schema, finish_interrupted_commit
from ingestion.settings import RAW_DATASET, Settings
from ingestion.summary import StepTimer

LOADER_FILE_FORMAT = "parquet"  # dlt's default for DuckDB (SQL insert text) is ~25x slower


@dataclass
class LoadResult:
    rows: dict[str, int]
    new_columns: dict[str, list[str]]
    # full-scan tables whose scan equalled the last loaded one: not normalized or loaded
    unchanged_scans: list[str] = field(default_factory=list)
    # a package a failed run left was loaded first: its tables are not in `rows`
    recovered: bool = False


def duckdb_settings(memory_limit: str) -> dict[str, Any]:
    """DuckDB's settings for the load, as profiles.yml gives them to dbt's DuckDB.

    Under the memory cap DuckDB spills to disk, but an operator that must keep rows in
    their insertion order holds more of them at once: at 1,000,000 incidents that ran the
    load's pruning, and dbt's larger tables, out of 384MB. Nothing here reads raw in
    insertion order (every model and query orders explicitly where order matters).
    """
    return {"memory_limit": memory_limit, "preserve_insertion_order": False}


def make_pipeline(settings: Settings) -> dlt.Pipeline:
    """The dlt pipeline for the configured warehouse; PostgreSQL credentials come from dlt's
    standard DESTINATION__POSTGRES__CREDENTIALS."""
    if settings.on_duckdb:
        credentials = DuckDbCredentials(
            settings.duckdb_path, global_config=duckdb_settings(settings.duckdb_memory_limit)
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


@dataclass(frozen=True)
class Prepared:
    """What the load needs to know from before the extract."""

    known: dict[str, set[str]]  # data columns per table before this run (new ones reported)
    recovered: bool  # a package a failed run left was loaded first


@dataclass(frozen=True)
class Scan:
    """The full-scan (scd2) resources an extract read whole, and about when."""

    resources: list[str]
    at: datetime


def load(
    pipeline: dlt.Pipeline,
    source: Any,
    timer: StepTimer,
    full_refresh: bool,
    file_format: str | None = LOADER_FILE_FORMAT,
    workers: int = 1,
) -> LoadResult:
    """Extract, normalize, load in this process; returns rows per table and columns the API
    newly sent. A run extracts in a child process instead (`ingestion.extraction`), between
    the same `prepare` and `finish`."""
    prepared = prepare(pipeline, timer, full_refresh, workers)
    with timer.step("extract"):
        scan = extract(pipeline, source, full_refresh, file_format)
    return finish(pipeline, prepared, scan, timer, full_refresh, workers)


def prepare(pipeline: dlt.Pipeline, timer: StepTimer, full_refresh: bool, workers: int) -> Prepared:
    """Before the extract: finish a package a failed run left, and note the known columns."""
    recovered = pipeline.has_pending_data
    if recovered:  # a previous run died after extract: finish it first
        finish_interrupted_commit(pipeline)
        with timer.step("recover"):
            pipeline.normalize(workers=workers)
            load_and_prune(pipeline)
    adopt_earlier_schema(pipeline)
    return Prepared({} if full_refresh else table_columns(pipeline), recovered)


def extract(
    pipeline: dlt.Pipeline, source: Any, full_refresh: bool, file_format: str | None
) -> Scan:
    """The API into one extracted load package (dlt's extract), with the full-refresh rules."""
    scan = Scan(scd2_resources(source), datetime.now(UTC))  # read whole, at about this moment
    if full_refresh:
        # scd2 tables are a full scan every run anyway: keep their history (which
        # dashboards were deleted, and when) and start everything else from scratch
        history = scan.resources
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
    return scan


def finish(
    pipeline: dlt.Pipeline,
    prepared: Prepared,
    scan: Scan,
    timer: StepTimer,
    full_refresh: bool,
    workers: int,
) -> LoadResult:
    """After the extract: leave out unchanged full scans, normalize, load, record the scans."""
    unchanged: list[str] = []
    scans: dict[str, str] = {}
    if not full_refresh:  # a full refresh loads everything it read
        with timer.step("compare scans"):
            unchanged, scans = drop_unchanged_scans(pipeline, scan.resources)
    with timer.step("normalize"):
        info = pipeline.normalize(workers=workers)
    # the Arrow batches are written: give their buffers back before DuckDB and dbt need memory
    pa.default_memory_pool().release_unused()
    rows: dict[str, int] = {}
    for table, count in info.row_counts.items():
        if not table.startswith("_dlt"):
            rows[table] = rows.get(table, 0) + count
    known = prepared.known
    new_columns = {
        table: sorted(columns - known[table])
        for table, columns in table_columns(pipeline).items()
        if table in known and columns - known[table]
    }
    with timer.step("load"):
        load_and_prune(pipeline, loaded=set(rows))
    record_scans(pipeline, scans, scan.resources, scan.at)
    return LoadResult(rows, new_columns, unchanged, prepared.recovered)


def load_and_prune(pipeline: dlt.Pipeline, loaded: set[str] | None = None) -> None:
    """dlt's load, then drop the child rows of replaced records (see `prune_orphans`):
    under the root tables in `loaded`, or under every root when not known."""
    pipeline.load()
    on_duckdb = pipeline.destination.destination_name == "duckdb"
    with pipeline.sql_client() as client:
        prune_orphans(client, pipeline.default_schema, loaded, checkpoint=on_duckdb)
