"""Whether a run has anything new to build: raw's content and the dbt project, fingerprinted.

An hourly run in which nothing changed upstream still reads the API (the re-read window, the
full scans) and loads what it read, but the rows are the ones raw already holds. Rebuilding
and re-testing every mart over the same rows costs most of such a run, so the run compares
two fingerprints with those of the last *published* build (`runs.last_published`):

- `raw_digest`: per raw table, its row count and the sum of its rows' hashes, leaving out
  dlt's lineage columns (which load wrote a row, and the random row keys that link a
  child row to its parent) so that the same record loaded again hashes the same; scd2
  validity times are content (a retirement changes them). A change to any row, a new row
  or a deleted one changes the digest.
- `dbt_fingerprint`: every file dbt reads (models, macros, seeds, tests, the project and
  profiles files), the target, and the dbt version. An edit to a model or to the SLA seed
  changes it.

Compared with the last published build, not with the state before this load, so a run
whose build failed its tests is never followed by a run that skips the build.
"""

from __future__ import annotations

import hashlib
import json
from importlib.metadata import version
from pathlib import Path

import dlt

from ingestion.runs import ensure_ledger, last_published
from ingestion.settings import RAW_DATASET, REPO_ROOT, Settings

# dlt's lineage columns: which load wrote the row, and row keys that are random per load
LINEAGE_COLUMNS = ("_dlt_load_id", "_dlt_id", "_dlt_parent_id", "_dlt_root_id")

# what dbt reads (dbt_project.yml's paths, and the two files at the root)
DBT_INPUTS = ("dbt_project.yml", "profiles.yml", "transform", "tests/dbt")


def raw_digest(sql_client, dataset: str = RAW_DATASET) -> str:
    """One digest of every data table in `dataset` (DuckDB's `hash`, order-independent).

    dlt's own tables (`_dlt_loads`, `_dlt_pipeline_state`, ...) change on every load and
    say nothing about the data, so they are left out.
    """
    rows = sql_client.execute_sql(
        "select table_name, column_name from information_schema.columns"
        f" where table_schema = '{dataset}' order by table_name, ordinal_position"
    )
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        if not table.startswith("_dlt") and column not in LINEAGE_COLUMNS:
            columns.setdefault(table, []).append(column)
    per_table = {}
    for table, names in sorted(columns.items()):
        quoted = ", ".join(f'"{name}"' for name in names)
        qualified = f'"{dataset}"."{table}"'
        count, total = sql_client.execute_sql(
            f"select count(*), coalesce(sum(hash({quoted})), 0) from {qualified}"
        )[0]
        per_table[table] = [int(count), str(total)]
    return _sha256(json.dumps(per_table, sort_keys=True))


def dbt_fingerprint(target: str, root: Path = REPO_ROOT) -> str:
    """A digest of what decides the build's output besides raw: dbt's files and versions."""
    digest = hashlib.sha256()
    digest.update(f"target={target}\ndbt-core={version('dbt-core')}\n".encode())
    for name in DBT_INPUTS:
        path = root / name
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(root)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def current_fingerprints(pipeline: dlt.Pipeline, settings: Settings) -> dict[str, str]:
    """Raw's digest and the dbt project's fingerprint now; empty on PostgreSQL, where the
    digest's row hash is not available, so every run builds there."""
    if not settings.on_duckdb:
        return {}
    with pipeline.sql_client() as client:
        digest = raw_digest(client)
    return {"raw_digest": digest, "dbt_fingerprint": dbt_fingerprint(settings.target)}


def published_fingerprints(pipeline: dlt.Pipeline) -> dict[str, str] | None:
    """The fingerprints the ledger recorded for the last run that published, or None."""
    with pipeline.sql_client() as client:
        ensure_ledger(client)
        digest, fingerprint = last_published(client)
    if digest is None:
        return None
    return {"raw_digest": digest, "dbt_fingerprint": fingerprint}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
