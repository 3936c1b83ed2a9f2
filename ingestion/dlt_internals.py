"""Every use of dlt's private API or of its internal data layout, and nothing else.

Why one module: none of this is dlt's promise, so a dlt upgrade may rename or reshape any of
it without notice. Kept together, the whole exposure is one file to review on an upgrade,
and `tests/ingestion/test_dlt_internals.py` checks each function against the installed dlt,
so an upgrade that breaks one fails there, naming what changed, instead of in a run.

Each function says which public API is missing. dlt's public API (`pipeline.state` as a
whole, `schema.tables`, `dlt.current.resource_state()` inside a resource, the runner's
`DBTNodeResult`s) is used where it is needed, not here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import dlt
from dlt.common.schema import Schema

from ingestion.arrow_pages import NESTED_IN, SEP

if TYPE_CHECKING:  # the dbt helpers are imported by the build step only
    from dlt.helpers.dbt.runner import DBTNodeResult, DBTPackageRunner

# Where dlt keeps state in the pipeline state (`pipeline.state`, `_dlt_pipeline_state`):
#   sources.<source>.resources.<resource>                  what the resource stored itself
#   ...<resource>.incremental.<cursor path>                one `dlt.sources.incremental`:
#       {"initial_value": ..., "last_value": ..., "unique_hashes": [...]}
# `unique_hashes` are the rows at exactly `last_value` already loaded, skipped next time.
SOURCES, RESOURCES, INCREMENTAL = "sources", "resources", "incremental"
LAST_VALUE, UNIQUE_HASHES = "last_value", "unique_hashes"


def delete_extracted_packages(pipeline: dlt.Pipeline, load_ids: Iterable[str]) -> None:
    """Delete extracted (not yet normalized) load packages, leaving every other copy alone."""
    # Missing public API: dlt can abort all pending packages (`Pipeline.abort_packages`),
    # not delete the extracted copy of one whose normalized copy is kept; the normalize
    # storage is reachable only through the private `Pipeline._get_normalize_storage()`.
    storage = pipeline._get_normalize_storage()
    for load_id in load_ids:
        storage.extracted_packages.delete_package(load_id)


def extracted_table_files(pipeline: dlt.Pipeline) -> dict[str, list[str]]:
    """table name -> the absolute paths of its job files in the extracted (not yet
    normalized) load packages."""
    # Missing public API: dlt lists a package's jobs only after normalize (`LoadInfo`,
    # `pipeline.get_load_package_info`); the extracted copy is reachable only through the
    # private `Pipeline._get_normalize_storage()`, its job file names parsed by
    # `ParsedLoadJobFileName` (`<table>.<file id>.<retry>.<format>`).
    from dlt.common.storages.load_package import ParsedLoadJobFileName

    storage = pipeline._get_normalize_storage()
    packages = storage.extracted_packages
    files: dict[str, list[str]] = {}
    for load_id in pipeline.list_extracted_load_packages():
        for job in packages.list_new_jobs(load_id):
            table = ParsedLoadJobFileName.parse(job).table_name
            files.setdefault(table, []).append(packages.storage.make_full_path(job))
    return files


def run_dbt_command(
    runner: DBTPackageRunner, command: str, args: Sequence[str], additional_vars: dict[str, Any]
) -> Sequence[DBTNodeResult]:
    """Run any dbt command through dlt's runner, with its credentials and package vars."""
    # Missing public API: `DBTPackageRunner` offers `run`, `test` and `run_all`, not `build`;
    # those are one-line calls of these two private methods with a fixed command.
    package_vars = runner._get_package_vars(additional_vars)
    return runner._run_dbt_command(command, args, package_vars)


def _resources_state(pipeline_state: dict[str, Any], source_name: str) -> dict[str, Any]:
    """resource name -> its state dict, as dlt lays out the pipeline state (see above)."""
    return pipeline_state.get(SOURCES, {}).get(source_name, {}).get(RESOURCES, {})


def stored_resource_state(
    pipeline_state: dict[str, Any], source_name: str, resource: str
) -> dict[str, Any]:
    """What `resource` stored in `dlt.current.resource_state()` (empty if nothing yet)."""
    # Missing public API: `dlt.current.resource_state()` works only inside the resource while
    # it extracts; from outside there is only `pipeline.state`, a dict in dlt's own layout.
    return _resources_state(pipeline_state, source_name).get(resource, {})


def incremental_last_values(pipeline_state: dict[str, Any], source_name: str) -> dict[str, Any]:
    """resource name -> the `last_value` of its incremental cursor, as stored by dlt."""
    # Missing public API: `Incremental.last_value` is readable only on a resource bound to a
    # running pipeline; a finished pipeline's cursors are only in its state dict.
    cursors = {}
    for name, state in _resources_state(pipeline_state, source_name).items():
        for cursor in state.get(INCREMENTAL, {}).values():
            cursors[name] = cursor.get(LAST_VALUE)
    return cursors


def set_incremental_last_values(
    pipeline: dlt.Pipeline, source_name: str, last_values: dict[str, Any]
) -> None:
    """Set each resource's incremental cursor to `last_values[resource]`, so the next extract
    reads again from there; a resource missing from `last_values` starts again from its
    `initial_value`. Saved like a state change made while extracting."""
    # Missing public API: dlt can only reset a resource's whole state (`refresh=
    # "drop_resources"`, `dlt pipeline drop`), not set a cursor back to a given value. The
    # write goes through `Pipeline.managed_state(extract_state=True)`, the context dlt's
    # extract uses, which saves the local state and puts it in the next load package.
    with pipeline.managed_state(extract_state=True) as state:
        for name, resource_state in _resources_state(state, source_name).items():
            incremental = resource_state.get(INCREMENTAL, {})
            if name not in last_values:
                incremental.clear()
                continue
            for cursor in incremental.values():
                cursor[LAST_VALUE] = last_values[name]
                cursor[UNIQUE_HASHES] = []  # else rows at exactly last_value stay skipped


def adopt_nested_tables(schema: Schema, root: str) -> list[str]:
    """Re-label `root`'s dlt-nested child tables as the plain child tables `PagesToArrow`
    writes (`x-nested-in`, appended by the root's resource). Returns the adopted names.

    A warehouse loaded before incidents went through Arrow has them as dlt nested tables
    (`parent: incidents`), and dlt refuses to merge that with a table that has no parent.
    Their columns and rows are exactly what `PagesToArrow` writes, so only dlt's schema entry
    changes: nothing is dropped or reloaded.
    """
    # Missing public API: dlt cannot turn a nested table (one with `parent`) into a table of
    # its own resource; the table dicts of `schema.tables` are edited in place.
    adopted = []
    for name, table in schema.tables.items():
        parent = table.get("parent")
        if parent is not None and name.startswith(f"{root}{SEP}"):
            del table["parent"]
            table["resource"] = root
            table["write_disposition"] = "append"
            table[NESTED_IN] = parent  # type: ignore[typeddict-unknown-key]
            adopted.append(name)
    return adopted
