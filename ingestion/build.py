"""Build and audit: one `dbt build` of every model and data test, through dlt's dbt runner.

Everything is built into the `__build` schemas (`ingestion.publish` makes it visible only
once all of it passed), so a failed test is a `TransformError` and analysts see nothing of
that run. The runner is handed the destination credentials by dlt; the rest of what dbt
reads from the environment is set here and put back afterwards.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

import dlt
from dlt.common.runners import Venv
from dlt.helpers.dbt import create_runner
from dlt.helpers.dbt.exceptions import DBTProcessingError

from ingestion.dlt_internals import run_dbt_command
from ingestion.errors import TransformError
from ingestion.publish import BUILD_SUFFIX
from ingestion.selection import BuildPlan
from ingestion.settings import REPO_ROOT, Settings, env_name

DBT_PROFILE = "analytics"


def build(
    pipeline: dlt.Pipeline,
    settings: Settings,
    full_refresh: bool = False,
    plan: BuildPlan | None = None,
) -> list[dict[str, Any]]:
    """`transform` on the configured target, with dbt's DuckDB as capped as the load's."""
    # profiles.yml reads it: dbt's DuckDB gets the same memory cap as the load's
    memory_limit = {env_name("elt.duckdb_memory_limit"): settings.duckdb_memory_limit}
    with exported(memory_limit):
        return transform(pipeline, settings.target, full_refresh=full_refresh, plan=plan)


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
    pipeline: dlt.Pipeline,
    target: str = "duckdb",
    full_refresh: bool = False,
    plan: BuildPlan | None = None,
) -> list[dict[str, Any]]:
    """One `dbt build` (seeds, models and tests in DAG order) through dlt's runner.

    With a partial `plan`, only what it selects (`ingestion.selection`) and the tests that
    touch it; the rest of the build schemas already hold what was last published.

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
        *(["--full-refresh"] if full_refresh and not (plan and plan.recompute) else []),
        *(plan.dbt_args() if plan else []),
    ]
    try:
        results = run_dbt_command(runner, "build", args, {"schema_suffix": BUILD_SUFFIX})
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
