"""Whether a run has anything new to build: raw's content and the dbt project, fingerprinted.

An hourly run in which nothing changed upstream still reads the API (the re-read window, the
full scans) and loads what it read, but the rows are the ones raw already holds. Rebuilding
and re-testing every mart over the same rows costs most of such a run, so the run compares
two fingerprints with those of the last *published* build (`runs.last_published`):

- `raw_tables`: per raw table, its row count and the sum of its rows' hashes, leaving out
  dlt's lineage columns (which load wrote a row, and the random row keys that link a
  child row to its parent) so that the same record loaded again hashes the same; scd2
  validity times are content (a retirement changes them). A change to any row, a new row
  or a deleted one changes the digest.
- `dbt_fingerprint`: every file dbt reads (models, macros, seeds, tests, the project and
  profiles files), the target, and the dbt version. An edit to a model or to the SLA seed
  changes it.

Compared with the last published build, not with the state before this load, so a run
whose build failed its tests is never followed by a run that skips the build.

Hashing raw is a pass over every row (about 30M rows, 4.8 s, at 1,000,000 incidents), so a
table this load did not touch keeps the digest the previous run recorded as it finished,
when that run succeeded (`runs.previous_run_digests`): nothing else writes raw between
two runs. A table counts as touched when the load wrote rows to it or to its root table
(a merge into a root replaces or deletes the rows nested under it, new rows or not). After
a full refresh or a recovered load, or when the previous run failed or was killed, every
table is hashed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import dlt
from dlt.common.schema import Schema

from ingestion.arrow_pages import child_tables, root_table
from ingestion.runs import ensure_ledger, last_published, previous_run_digests
from ingestion.settings import RAW_DATASET, REPO_ROOT, Settings

# dlt's lineage columns: which load wrote the row, and row keys that are random per load
LINEAGE_COLUMNS = ("_dlt_load_id", "_dlt_id", "_dlt_parent_id", "_dlt_root_id")

# what dbt reads (dbt_project.yml's paths, and the two files at the root)
DBT_INPUTS = ("dbt_project.yml", "profiles.yml", "transform", "tests/dbt")


def raw_table_digests(
    sql_client,
    dataset: str = RAW_DATASET,
    reuse: dict[str, str] | None = None,
    touched: Collection[str] = (),
) -> dict[str, str]:
    """Per data table in `dataset`: its row count and the sum of its rows' hashes.

    dlt's own tables (`_dlt_loads`, `_dlt_pipeline_state`, ...) change on every load and
    say nothing about the data, so they are left out. Per table, so that a build can follow
    the tables that changed (`ingestion.selection`). A table in `reuse` and not `touched`
    takes its digest from `reuse` instead of being read.
    """
    reuse = reuse or {}
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
        if table in reuse and table not in touched:
            per_table[table] = reuse[table]
            continue
        quoted = ", ".join(f'"{name}"' for name in names)
        qualified = f'"{dataset}"."{table}"'
        count, total = sql_client.execute_sql(
            f"select count(*), coalesce(sum(hash({quoted})), 0) from {qualified}"
        )[0]
        per_table[table] = f"{int(count)}:{total}"
    return per_table


def raw_digest(sql_client, dataset: str = RAW_DATASET) -> str:
    """One digest of every data table in `dataset` (DuckDB's `hash`, order-independent)."""
    return combined(raw_table_digests(sql_client, dataset))


def combined(per_table: dict[str, str]) -> str:
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


@dataclass(frozen=True)
class Fingerprints:
    """Raw's per-table digests and the dbt project's fingerprint, at one moment.

    `raw_tables` is None where raw was not digested: on PostgreSQL (no row hash), and in
    ledger rows written before per-table digests. The dbt fingerprint is always there, so
    an edited project is recomputed on every warehouse (`ingestion.selection`).
    """

    raw_tables: dict[str, str] | None
    dbt: str

    @property
    def raw_digest(self) -> str | None:
        return None if self.raw_tables is None else combined(self.raw_tables)

    def same_as(self, other: Fingerprints | None) -> bool:
        """Nothing to build: raw and the dbt project both as `other` recorded them."""
        if other is None or self.raw_digest is None:
            return False
        return (self.raw_digest, self.dbt) == (other.raw_digest, other.dbt)

    def changed_tables(self, published: Fingerprints) -> list[str] | None:
        """Raw tables whose content differs from `published` (new, changed or gone), or
        None when either side was not digested."""
        if self.raw_tables is None or published.raw_tables is None:
            return None
        ours, theirs = self.raw_tables, published.raw_tables
        return sorted(n for n in set(ours) | set(theirs) if ours.get(n) != theirs.get(n))

    def ledger_columns(self) -> dict[str, str | None]:
        tables = None if self.raw_tables is None else json.dumps(self.raw_tables, sort_keys=True)
        return {"raw_digest": self.raw_digest, "raw_tables": tables, "dbt_fingerprint": self.dbt}


def current_fingerprints(
    pipeline: dlt.Pipeline,
    settings: Settings,
    run_id: str | None = None,
    touched: Collection[str] | None = None,
) -> Fingerprints:
    """Raw's digests and the dbt project's fingerprint now. On PostgreSQL raw is not
    digested (the digest uses DuckDB's row hash), so every run builds there.

    With `touched` (the tables run `run_id` may have changed, see `tables_touched`), the
    other tables keep the digests the previous run recorded, if it succeeded; with None
    every table is read."""
    tables = None
    if settings.on_duckdb:
        with pipeline.sql_client() as client:
            before = None
            if run_id is not None and touched is not None:
                ensure_ledger(client)
                before = previous_run_digests(client, run_id)
            tables = raw_table_digests(client, reuse=before, touched=touched or ())
    return Fingerprints(tables, dbt_fingerprint(settings.target))


def tables_touched(schema: Schema, loaded: Collection[str]) -> set[str]:
    """The tables a load that wrote rows to `loaded` may have changed: those, and every
    table nested under their root tables (dlt's merge deletes a replaced record's nested
    rows, `prune_orphans` ours, whether or not the new version has any)."""
    parents = child_tables(schema) | {
        name: table["parent"] for name, table in schema.tables.items() if table.get("parent")
    }
    roots = {root_table(name, parents) for name in loaded}
    return set(loaded) | {name for name in schema.tables if root_table(name, parents) in roots}


def published_fingerprints(pipeline: dlt.Pipeline) -> Fingerprints | None:
    """The fingerprints the ledger recorded for the last run that published, or None
    before the first."""
    with pipeline.sql_client() as client:
        ensure_ledger(client)
        tables, fingerprint = last_published(client)
    if fingerprint is None:
        return None
    return Fingerprints(None if tables is None else json.loads(tables), fingerprint)


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
