"""Isolated ELT deployments for end-to-end tests: warehouse, dlt state, demo API state, dbt."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Workspace:
    """One isolated ELT deployment: warehouse, dlt state, demo API state, dbt artefacts."""

    root: Path

    @property
    def duckdb_path(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def demo_state_dir(self) -> Path:
        return self.root / "demo_api"

    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            DESTINATION__DUCKDB__CREDENTIALS=str(self.duckdb_path),
            ELT__PIPELINES_DIR=str(self.root / "pipelines"),
            ELT__DEMO_API__STATE_DIR=str(self.demo_state_dir),
            DBT_TARGET_PATH=str(self.root / "dbt_target"),
            DBT_LOG_PATH=str(self.root / "dbt_logs"),
        )
        env.pop("SOURCES__ANALYTICS_API__BASE_URL", None)
        env.update(extra)
        return env

    def just(self, *args: str, **env: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["just", *args],
            cwd=REPO_ROOT,
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=600,
        )

    def scalar(self, sql: str):
        with duckdb.connect(str(self.duckdb_path), read_only=True) as con:
            return con.execute(sql).fetchone()[0]


# The default demo size of the end-to-end tests: several pages, every kind of record.
DEMO_SIZE = {"ELT__DEMO_API__INCIDENTS": "230", "ELT__DEMO_API__DASHBOARDS": "17"}
