"""The API token appears nowhere: not in output, dlt's folder, dbt's artefacts or DuckDB.

Every run of the reliability scenario (successes, every failure, the killed ones) used one
unique token, so searching all they left behind for it covers the error paths too.
"""

from __future__ import annotations

import zlib
from base64 import b64decode
from pathlib import Path

import pytest

from tests.reliability.scenarios import TOKEN

# the shared scenario warehouse (conftest.py): one xdist worker runs all of its steps
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("reliability")]

NEEDLES = [TOKEN.encode(), TOKEN.encode("utf-16-le")]


@pytest.fixture(scope="session")
def scenario_done(ws, full_refresh, full_refresh_after_audit_failure):
    """The scan runs after every step of the scenario has left its traces: the last step of
    each of its two chains, and what they need, is every step (see scenarios.py)."""
    return ws


def files_containing_token(folder: Path) -> list[str]:
    hits = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        in_parquet = path.suffix == ".parquet" and _parquet_contains(path)
        if in_parquet or any(n in data for n in NEEDLES):
            hits.append(str(path))
    return hits


def _parquet_contains(path: Path) -> bool:
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    return TOKEN in str(table.to_pylist())


def test_the_token_is_not_in_any_output(scenario_done):
    assert scenario_done.outputs, "no runs recorded"
    assert not [o for o in scenario_done.outputs if TOKEN in o]


def test_the_token_is_not_in_the_dlt_pipelines_folder(scenario_done):
    folder = scenario_done.pipelines_dir
    assert any(folder.rglob("*.parquet")) or any(folder.rglob("trace.pickle"))
    assert files_containing_token(folder) == []


def test_the_token_is_not_in_dbt_target_or_logs(scenario_done):
    for name in ("dbt_target", "dbt_logs"):
        folder = scenario_done.root / name
        assert folder.is_dir(), f"dbt wrote no {name}"
        assert files_containing_token(folder) == []


def test_the_token_is_not_in_the_duckdb_file_bytes(scenario_done):
    data = scenario_done.duckdb_path.read_bytes()
    assert not any(n in data for n in NEEDLES)


def test_the_token_is_not_in_any_warehouse_value(scenario_done):
    """DuckDB compresses strings, so also search every text value, and dlt's stored state."""
    with scenario_done.connect() as con:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where data_type in ('VARCHAR', 'JSON')"
        ).fetchall()
        hits = []
        for schema, table, column in columns:
            found = con.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}" like ?',
                [f"%{TOKEN}%"],
            ).fetchone()[0]
            if found:
                hits.append(f"{schema}.{table}.{column}")
        states = con.execute("select state from raw._dlt_pipeline_state").fetchall()
    assert hits == []
    for (state,) in states:
        assert TOKEN not in zlib.decompress(b64decode(state)).decode()
