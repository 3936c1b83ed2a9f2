"""`just shell`: the command it execs, and proof that the client starts and reads read-only."""

from __future__ import annotations

import subprocess

from analyst import shell
from analyst.warehouse import ELT_RUNNING
from tests.analyst.conftest import mark_elt_running


def test_command_line_is_harlequin_read_only_on_the_warehouse() -> None:
    assert shell.shell_command("/w/warehouse.duckdb", "/venv/bin/harlequin") == [
        "/venv/bin/harlequin",
        "--adapter",
        "duckdb",
        "--read-only",
        "/w/warehouse.duckdb",
    ]
    assert shell.shell_command("/w.duckdb", "h", ["--theme", "nord"])[-3:] == [
        "--theme",
        "nord",
        "/w.duckdb",
    ]


def test_client_is_installed_and_starts() -> None:
    client = shell.client_path()
    assert client is not None
    result = subprocess.run([client, "--version"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "harlequin, version" in result.stdout
    assert "duckdb" in result.stdout  # the DuckDB adapter is installed


def test_clients_duckdb_adapter_reads_read_only(tiny_warehouse) -> None:
    """`hsql` ships with harlequin: the same adapter and `--read-only` flag, without the UI."""
    hsql = shell.client_path("hsql")
    assert hsql is not None
    read = [hsql, "--read-only", tiny_warehouse, "--csv", "-t"]
    result = subprocess.run(
        [*read, "-c", "select count(*) from marts.numbers"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "60"
    write = subprocess.run(
        [*read, "-c", "drop table marts.numbers"], capture_output=True, text=True, timeout=60
    )
    assert write.returncode != 0 and "read-only" in (write.stdout + write.stderr)


def test_refuses_with_one_line_before_starting_the_ui(
    capsys, tmp_path, tiny_warehouse, writer_holding
) -> None:
    assert shell.run([], str(tmp_path / "none.duckdb")) == 1
    assert capsys.readouterr().err.strip().endswith("run `just elt` first")
    mark_elt_running(tiny_warehouse, writer_holding.pid)
    assert shell.run([], tiny_warehouse) == 1
    assert capsys.readouterr().err == ELT_RUNNING + "\n"
