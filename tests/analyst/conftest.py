"""Small warehouses built in the test itself, for the analyst commands' fast tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest


@pytest.fixture
def tiny_warehouse(tmp_path: Path) -> str:
    """A DuckDB file with one small mart table (60 rows) and nothing else."""
    path = str(tmp_path / "warehouse.duckdb")
    with duckdb.connect(path) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.numbers as select i as n, 'row ' || i as label,"
            " i / 4 as quarter, case when i % 7 = 0 then null else i end as maybe"
            " from range(1, 61) t(i)"
        )
    return path


@pytest.fixture
def writer_holding(tiny_warehouse: str) -> Iterator[subprocess.Popen]:
    """Another process holding the warehouse open for writing, as an ELT run's load does."""
    code = (
        "import duckdb, sys, time\n"
        f"con = duckdb.connect({tiny_warehouse!r})\n"
        "print('ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        yield proc
    finally:
        proc.kill()
        proc.wait()


def mark_elt_running(duckdb_path: str, pid: int | None = None) -> None:
    """Write the lock file `just elt` keeps beside the warehouse while it runs."""
    Path(f"{duckdb_path}.elt.lock").write_text(str(pid or os.getpid()))
