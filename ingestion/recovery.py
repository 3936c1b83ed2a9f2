"""Before a run reads the API: make dlt's local folder agree with the warehouse, and mend
what an earlier run left behind.

A run's cursors, schema and pending load packages live in a local working folder, which a
fresh checkout lacks, a replaced warehouse contradicts, a SIGKILL can leave half-committed,
and an older version of this project may have shaped differently. Each function here
settles one of those, so the load that follows starts from a consistent state.
"""

from __future__ import annotations

import dlt

from ingestion.dlt_internals import adopt_nested_tables, delete_extracted_packages
from ingestion.source import ARROW_RESOURCES


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
        delete_extracted_packages(pipeline, twice)


def adopt_earlier_schema(pipeline: dlt.Pipeline) -> None:
    """Carry a warehouse loaded by an earlier version over to Arrow ingestion, in place."""
    if not pipeline.default_schema_name:
        return
    schema = pipeline.default_schema
    adopted = [table for root in ARROW_RESOURCES for table in adopt_nested_tables(schema, root)]
    if adopted:
        pipeline.schemas.save_schema(schema)
