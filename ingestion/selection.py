"""What a run rebuilds: everything, or only what is downstream of what changed.

A full `dbt build` rebuilds and re-tests every model whatever changed. When the build
schemas still hold exactly the last published build, a run only needs to rebuild:

- what reads a raw table whose content changed since that build (`source:<table>+`, from
  the per-table digests of `ingestion.changes`);
- what changed in the dbt project since that build, and what depends on it
  (`state:modified+` against the manifest saved when that build was published): a model's
  SQL, a macro, the SLA seed, a test;
- what reads dlt's own tables (`_dlt_loads`): they change on every load, and the as-of
  time of the load-relative flags (an overdue follow-up) must be the same in every mart a
  build publishes.

Everything is rebuilt instead when there is no published build to compare with, when a
run since the last build failed or was killed (it may have rebuilt part of the build
schemas), when the published manifest is missing or from another dbt version, and on a
full refresh. Each of these is a reason the run reports.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import dlt

from ingestion.changes import Fingerprints
from ingestion.runs import build_schemas_as_published
from ingestion.settings import RAW_DATASET, REPO_ROOT

PUBLISHED_STATE = "published_build"  # folder in the pipeline's working dir
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class BuildPlan:
    """The `--select` of this run's `dbt build` (empty: everything), and why.

    `recompute`: the dbt project changed since the published build, so the incremental
    models built this run are rebuilt from scratch (`--full-refresh`): an edited SLA seed or
    model must reach the rows an incremental model wrote before the edit.
    """

    select: tuple[str, ...] = ()
    state_dir: str | None = None
    reason: str = "no published build to compare with"
    recompute: bool = False

    @property
    def partial(self) -> bool:
        return bool(self.select)

    def dbt_args(self) -> list[str]:
        args = ["--full-refresh"] if self.recompute else []
        if self.partial:
            args += ["--select", *self.select]
            args += ["--state", self.state_dir] if self.state_dir else []
        return args


def plan_build(
    current: Fingerprints | None,
    published: Fingerprints | None,
    manifest: dict | None,
    state_dir: str,
    build_schemas_as_published: bool,
    full_refresh: bool = False,
    dbt_version: str = "",
) -> BuildPlan:
    """The build of a run whose raw or dbt project differ from the last published build.

    `manifest` is the published build's dbt manifest (None when not saved); a plain
    function of its inputs, so each rule is tested without dbt or a warehouse.
    """
    if full_refresh:
        return BuildPlan(reason="full refresh")
    if current is None or published is None:
        return BuildPlan(reason="no published build to compare with")
    project_changed = current.dbt != published.dbt
    changed = current.changed_tables(published)
    if changed is None:
        return BuildPlan(reason="raw is not digested on this warehouse", recompute=project_changed)
    if not build_schemas_as_published:
        return BuildPlan(
            reason="a run since the last build failed or was killed", recompute=project_changed
        )
    if manifest is None:
        return BuildPlan(
            reason="no manifest saved with the published build", recompute=project_changed
        )
    if manifest.get("metadata", {}).get("dbt_version") != dbt_version:
        return BuildPlan(
            reason="the published build was made by another dbt version",
            recompute=project_changed,
        )
    by_table = source_selectors(manifest)
    select = [by_table[t] for t in changed if t in by_table]
    select += [selector for table, selector in sorted(by_table.items()) if table.startswith("_dlt")]
    if project_changed:
        select.append("state:modified+")
    return BuildPlan(
        select=tuple(select),
        state_dir=state_dir if project_changed else None,
        reason=describe_changes(changed, project_changed),
        recompute=project_changed,
    )


def describe_changes(changed_tables: list[str], project_changed: bool) -> str:
    """What a partial build follows, for the run summary: the changed tables' resources."""
    resources = sorted({table.split("__")[0] for table in changed_tables})
    parts = [f"new data in {', '.join(resources)}"] if resources else []
    parts += ["the dbt project's changes"] if project_changed else []
    return "downstream of " + " and ".join(parts or ["dlt's loads"])


def source_selectors(manifest: dict, dataset: str = RAW_DATASET) -> dict[str, str]:
    """raw table -> the dbt selector of everything that reads it (`source:x.y+`)."""
    selectors = {}
    for source in manifest.get("sources", {}).values():
        if source.get("schema") == dataset:
            table = source.get("identifier") or source["name"]
            selectors[table] = f"source:{source['source_name']}.{source['name']}+"
    return selectors


def incremental_keys(manifest: dict | None) -> dict[str, str]:
    """model name -> unique key, for each incremental model keyed on one column (what
    `ingestion.publish` can publish row by row)."""
    keys = {}
    for node in (manifest or {}).get("nodes", {}).values():
        config = node.get("config", {})
        key = config.get("unique_key")
        incremental = node.get("resource_type") == "model" and config.get("materialized") == (
            "incremental"
        )
        if incremental and isinstance(key, str) and key.isidentifier():
            keys[node["name"]] = key
    return keys


def published_manifest(state_dir: Path) -> dict | None:
    """The manifest saved with the last published build, or None."""
    try:
        return json.loads((state_dir / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def dbt_target_dir() -> Path:
    """Where dbt writes its artifacts: `DBT_TARGET_PATH`, else dbt_project.yml's `target`."""
    return Path(os.environ.get("DBT_TARGET_PATH") or REPO_ROOT / "target")


def built_manifest() -> dict | None:
    """The manifest of the build that just ran (dbt's target dir), or None."""
    return published_manifest(dbt_target_dir())


def save_published_manifest(state_dir: Path, target_dir: Path | None = None) -> bool:
    """Keep the manifest of the build just published, for the next run's comparison.

    Written after publish: if the run is killed in between, the previous manifest stays,
    and the next run rebuilds everything anyway (this run's ledger row is not a success).
    Best effort: the build is published already, so a manifest that cannot be copied only
    removes the saved one, and the next run rebuilds everything.
    """
    saved = state_dir / MANIFEST
    partial = state_dir / f"{MANIFEST}.partial"
    try:
        state_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile((target_dir or dbt_target_dir()) / MANIFEST, partial)
        partial.replace(saved)
    except OSError:
        saved.unlink(missing_ok=True)
        return False
    return True


def published_state_dir(pipeline: dlt.Pipeline) -> Path:
    """Where the published build's manifest is kept: beside the pipeline's state, one per
    warehouse."""
    return Path(pipeline.working_dir) / PUBLISHED_STATE


def plan_for_run(
    pipeline: dlt.Pipeline,
    current: Fingerprints,
    published: Fingerprints | None,
    run_id: str,
    full_refresh: bool,
) -> BuildPlan:
    """`plan_build` with what it needs read from the ledger and the saved manifest."""
    if full_refresh or published is None or current.changed_tables(published) is None:
        return plan_build(current, published, None, "", True, full_refresh)
    with pipeline.sql_client() as client:
        as_published = build_schemas_as_published(client, run_id)
    state_dir = published_state_dir(pipeline)
    return plan_build(
        current,
        published,
        published_manifest(state_dir),
        str(state_dir),
        as_published,
        dbt_version=version("dbt-core"),
    )


def rebuilt_relations(results: list[dict]) -> set[str]:
    """The models and seeds a build wrote (its test results left out)."""
    return {r["name"] for r in results if r["kind"] == "model" and r["status"] == "success"}
