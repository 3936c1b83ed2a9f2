"""The dlt internals the project relies on (`ingestion/dlt_internals.py`), on the installed dlt.

None of them is dlt's public API, so an upgrade may remove or reshape them silently. Each test
here pins one, on a tiny real pipeline where it matters (a temporary DuckDB file, a resource
with an incremental cursor), and fails with the dlt version, what changed, and which part of
the project depends on it: the place to start is `ingestion/dlt_internals.py`.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dlt
import pytest
from dlt.helpers.dbt.runner import DBTPackageRunner

from ingestion import deletions
from ingestion.arrow_pages import NESTED_IN
from ingestion.build import dbt_runner
from ingestion.dlt_internals import (
    adopt_nested_tables,
    delete_extracted_packages,
    extracted_table_files,
    incremental_last_values,
    run_dbt_command,
    set_incremental_last_values,
)

DLT = f"dlt {dlt.__version__}"
SOURCE = "tiny"
NAME = "dlt_internals"
ROWS = [{"id": i, "updated_at": i, "tags": ["a", "b"]} for i in (1, 2, 3)]
CHECKED_AT = "2024-01-01T00:00:00+00:00"


@dlt.source(name=SOURCE)
def tiny(rows: list[dict[str, Any]]):
    """One incremental resource (as the API's) and one that stores its own state (as the
    deletion check's)."""

    @dlt.resource(
        primary_key="id",
        write_disposition="merge",
        incremental=dlt.sources.incremental("updated_at", initial_value=0),
    )
    def items() -> Iterator:
        yield rows

    @dlt.resource(name=deletions.RESOURCE, write_disposition="replace")
    def checks() -> Iterator:
        dlt.current.resource_state()[deletions.CHECKED_AT] = CHECKED_AT
        yield [{"id": "x"}]

    return items, checks


def tiny_pipeline(root: Path) -> dlt.Pipeline:
    return dlt.pipeline(
        pipeline_name=NAME,
        destination=dlt.destinations.duckdb(str(root / "warehouse.duckdb")),
        dataset_name="raw",
        pipelines_dir=str(root / "pipelines"),
    )


@pytest.fixture(scope="module")
def loaded_once(tmp_path_factory) -> Path:
    """A warehouse and pipeline folder that have loaded `ROWS` once (~1 s, done once)."""
    root = tmp_path_factory.mktemp("dlt_internals")
    tiny_pipeline(root).run(tiny(ROWS))
    return root


@pytest.fixture
def pipeline(loaded_once, tmp_path) -> dlt.Pipeline:
    """This test's own copy of the loaded pipeline, free to change."""
    shutil.copytree(loaded_once, tmp_path, dirs_exist_ok=True)
    return tiny_pipeline(tmp_path)


def items_read(pipeline: dlt.Pipeline) -> int:
    """Rows of `items` the next extract takes from the same source data."""
    pipeline.extract(tiny(ROWS).with_resources("items"))
    counts = pipeline.normalize().row_counts
    pipeline.load()
    return counts.get("items", 0)


def at(state: dict[str, Any], *path: str) -> Any:
    """`state[path[0]][path[1]]...`, failing with where dlt's layout stopped matching."""
    node: Any = state
    for depth, key in enumerate(path):
        assert isinstance(node, dict) and key in node, (
            f"{DLT} changed its state layout: no {key!r} at"
            f" {'.'.join(path[:depth]) or '(top)'} (found"
            f" {sorted(node) if isinstance(node, dict) else type(node).__name__}); the cursor"
            " read/rewind and the deletion-check date in ingestion/dlt_internals.py expect"
            " sources.<source>.resources.<resource>.incremental.<cursor path>"
        )
        node = node[key]
    return node


def test_extracted_job_files_are_listed_by_table_and_can_be_dropped(pipeline):
    """Dropping an unchanged full scan before normalize (full_scans.drop_unchanged_scans)."""
    pipeline.extract(tiny([{"id": 9, "updated_at": 9, "tags": ["c"]}]))
    files = extracted_table_files(pipeline)
    assert "items" in files and all(Path(f).is_file() for f in files["items"]), (
        f"{DLT} lays out extracted packages differently (found {files}): the unchanged-scan"
        " skip in ingestion/full_scans.py finds a table's extracted files through"
        " extracted_table_files in ingestion/dlt_internals.py"
    )
    for path in files["items"]:
        Path(path).unlink()
    counts = pipeline.normalize().row_counts
    assert "items" not in counts, (
        f"{DLT} normalized rows of a table whose extracted files were removed ({counts}):"
        " ingestion/full_scans.py relies on a table without files being left out"
    )
    pipeline.load()


def test_normalize_storage_deletes_one_extracted_package(pipeline):
    """Finishing a normalize commit a kill cut in half (recovery.finish_interrupted_commit)."""
    assert hasattr(dlt.Pipeline, "_get_normalize_storage"), (
        f"{DLT} has no Pipeline._get_normalize_storage(): delete_extracted_packages, which"
        " finishes a normalize commit a kill cut in half, needs another way to the extracted"
        " packages"
    )
    storage = pipeline._get_normalize_storage()
    assert hasattr(getattr(storage, "extracted_packages", None), "delete_package"), (
        f"{DLT}: the normalize storage has no extracted_packages.delete_package(load_id)"
        f" any more (it has {sorted(vars(storage))}); delete_extracted_packages uses it"
    )
    pipeline.extract(tiny(ROWS).with_resources("items"))
    pipeline.normalize()  # a normalized package waits for its load...
    pipeline.extract(tiny(ROWS).with_resources("items"))  # ...and an extracted one
    normalized = pipeline.list_normalized_load_packages()
    (extracted,) = pipeline.list_extracted_load_packages()
    delete_extracted_packages(pipeline, [extracted])
    assert pipeline.list_extracted_load_packages() == [], (
        f"{DLT}: extracted_packages.delete_package left the extracted package in place"
    )
    assert pipeline.list_normalized_load_packages() == normalized, (
        f"{DLT}: deleting an extracted package touched the normalized ones"
    )


def test_dbt_runner_private_methods_keep_their_signatures():
    """`dbt build` through dlt's runner (build.transform) calls two private methods."""
    expected = {
        "_get_package_vars": ["additional_vars", "destination_dataset_name"],
        "_run_dbt_command": ["command", "command_args", "package_vars"],
    }
    for name, params in expected.items():
        method = getattr(DBTPackageRunner, name, None)
        assert method is not None, (
            f"{DLT} has no DBTPackageRunner.{name}: ingestion/dlt_internals.py run_dbt_command"
            " (the one `dbt build` of every run) calls it"
        )
        found = list(inspect.signature(method).parameters)[1:]
        assert found[: len(params)] == params, (
            f"{DLT} changed DBTPackageRunner.{name}{inspect.signature(method)}: run_dbt_command"
            f" passes ({', '.join(params)}) positionally"
        )


def test_dbt_runner_passes_the_build_vars(pipeline, monkeypatch):
    """The vars `run_dbt_command` hands to dbt: ours, and dlt's own source dataset."""
    runner = dbt_runner(pipeline)
    sent: dict[str, Any] = {}

    def fake_run(command, args, package_vars):
        sent.update(command=command, args=args, package_vars=package_vars)
        return []

    monkeypatch.setattr(runner, "_run_dbt_command", fake_run)
    assert run_dbt_command(runner, "build", ["--target", "duckdb"], {"schema_suffix": "x"}) == []
    assert sent["command"] == "build"
    assert sent["package_vars"].get("schema_suffix") == "x", (
        f"{DLT}: DBTPackageRunner._get_package_vars dropped the additional vars: {sent}"
    )
    assert sent["package_vars"].get("source_dataset_name") == "raw", (
        f"{DLT}: DBTPackageRunner._get_package_vars no longer sets source_dataset_name: {sent}"
    )


def test_incremental_state_layout(pipeline):
    """Where rewinding writes: `last_value` and `unique_hashes` of each cursor."""
    resources = at(pipeline.state, "sources", SOURCE, "resources")
    cursor = at(resources, "items", "incremental", "updated_at")
    assert cursor.get("last_value") == 3, (
        f"{DLT}: the incremental cursor no longer keeps last_value (it holds {sorted(cursor)})"
    )
    assert isinstance(cursor.get("unique_hashes"), list) and cursor["unique_hashes"], (
        f"{DLT}: the incremental cursor no longer keeps unique_hashes as a list (it holds"
        f" {sorted(cursor)}): set_incremental_last_values empties it to re-read rows at"
        " exactly last_value"
    )
    assert incremental_last_values(pipeline.state, SOURCE) == {"items": 3}


def test_resource_state_is_read_where_the_resource_wrote_it(pipeline):
    """The deletion check's date (deletions.last_checked), written by the resource itself."""
    stored = at(pipeline.state, "sources", SOURCE, "resources", deletions.RESOURCE)
    assert stored.get(deletions.CHECKED_AT) == CHECKED_AT, f"{DLT}: resource state is {stored}"
    assert deletions.last_checked(pipeline.state, SOURCE) == CHECKED_AT


def test_rewinding_makes_the_next_extract_read_again(pipeline, tmp_path):
    assert items_read(pipeline) == 0, f"{DLT}: an unchanged cursor re-read rows (baseline)"
    set_incremental_last_values(pipeline, SOURCE, {"items": 2})
    cursor = at(pipeline.state, "sources", SOURCE, "resources", "items", "incremental")
    assert cursor["updated_at"]["last_value"] == 2
    attached = dlt.attach(NAME, pipelines_dir=str(tmp_path / "pipelines"))
    assert incremental_last_values(attached.state, SOURCE) == {"items": 2}, (
        f"{DLT}: Pipeline.managed_state(extract_state=True) did not save the rewound cursor"
    )
    assert items_read(pipeline) == 2, (
        f"{DLT}: after rewinding last_value to 2 (and emptying unique_hashes) the next extract"
        " did not read updated_at >= 2 again: dlt no longer takes the cursor from there"
    )


def test_rewinding_a_never_published_cursor_starts_from_the_initial_value(pipeline):
    set_incremental_last_values(pipeline, SOURCE, {})
    assert incremental_last_values(pipeline.state, SOURCE) == {}
    assert items_read(pipeline) == len(ROWS), (
        f"{DLT}: clearing a resource's incremental state no longer restarts its cursor"
    )


def test_nested_tables_name_their_parent(pipeline):
    """Adopting an earlier warehouse's schema (recovery.adopt_earlier_schema) finds dlt's
    nested tables by their `parent` key and turns them into plain tables of the resource."""
    schema = pipeline.default_schema
    table = schema.tables.get("items__tags")
    assert table is not None and table.get("parent") == "items", (
        f"{DLT}: the nested table for a list no longer names its parent in 'parent' ({table});"
        " adopt_nested_tables finds an earlier warehouse's child tables that way"
    )
    assert adopt_nested_tables(schema, "items") == ["items__tags"]
    pipeline.schemas.save_schema(schema)
    reloaded = dlt.attach(NAME, pipelines_dir=pipeline.pipelines_dir).default_schema
    adopted = reloaded.tables["items__tags"]
    assert "parent" not in adopted and adopted.get(NESTED_IN) == "items", (
        f"{DLT} did not keep the edited table entry on save: {adopted}"
    )
    assert adopted.get("resource") == "items" and adopted.get("write_disposition") == "append"
