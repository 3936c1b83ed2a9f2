"""Shared fixtures for the dbt layer tests.

One ``dbt build`` runs per test session against a temporary copy of the raw fixture
warehouse (``fixtures.build_raw_warehouse``); tests read its marts. Tests that need
their own build copy the built warehouse first, so nothing is shared on disk with
other tests or with a developer's ``data/warehouse.duckdb``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from tests.workspace import REPO_ROOT

from .fixtures import build_raw_warehouse

DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"


@dataclass
class DbtRun:
    args: list[str]
    returncode: int
    output: str


@dataclass
class BuiltWarehouse:
    db_path: Path
    target_path: Path
    run: DbtRun

    @property
    def manifest(self) -> dict:
        return json.loads((self.target_path / "manifest.json").read_text())

    def connect(self) -> duckdb.DuckDBPyConnection:
        return duckdb.connect(str(self.db_path), read_only=True)


def run_dbt(
    args: list[str],
    db_path: Path,
    work_dir: Path,
    clock: list[str] | None = None,
    extra_env: dict[str, str] | None = None,
) -> DbtRun:
    """Run the dbt CLI from the repo root against ``db_path``, with artefacts in ``work_dir``.

    ``clock`` prefixes the command (e.g. ``["faketime", "2031-03-01 12:00:00"]``) to run dbt
    and its DuckDB under another wall clock.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        # dlt's runner variable would take precedence over ours in profiles.yml.
        if not key.startswith("DLT__CREDENTIALS__") and key != "DBT_TARGET"
    }
    env["DESTINATION__DUCKDB__CREDENTIALS"] = str(db_path)
    env["DBT_SEND_ANONYMOUS_USAGE_STATS"] = "false"
    full_args = [
        *args,
        "--project-dir",
        str(REPO_ROOT),
        "--profiles-dir",
        str(REPO_ROOT),
        "--target-path",
        str(work_dir / "target"),
        "--log-path",
        str(work_dir / "logs"),
    ]
    env.update(extra_env or {})
    completed = subprocess.run(
        [*(clock or []), str(DBT_EXECUTABLE), "--no-use-colors", *full_args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return DbtRun(full_args, completed.returncode, completed.stdout + completed.stderr)


def build(db_path: Path, work_dir: Path, *extra: str) -> BuiltWarehouse:
    result = run_dbt(["build", *extra], db_path, work_dir)
    assert result.returncode == 0, f"dbt build failed:\n{result.output[-6000:]}"
    return BuiltWarehouse(db_path, work_dir / "target", result)


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> BuiltWarehouse:
    """The fixture warehouse after one successful ``dbt build``."""
    work_dir = tmp_path_factory.mktemp("dbt_build")
    db_path = build_raw_warehouse(work_dir / "warehouse.duckdb")
    return build(db_path, work_dir)


@pytest.fixture(scope="session")
def warehouse(built_warehouse: BuiltWarehouse) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the built warehouse."""
    con = built_warehouse.connect()
    yield con
    con.close()


@pytest.fixture
def warehouse_copy(built_warehouse: BuiltWarehouse, tmp_path: Path) -> Path:
    """A private copy of the built warehouse file, for tests that build again."""
    target = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.db_path, target)
    return target


def query(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params or []).fetchall()


def query_dicts(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
