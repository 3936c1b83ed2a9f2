"""`just shell`: an interactive, read-only SQL IDE on the warehouse (harlequin, from PyPI).

Harlequin is a terminal SQL IDE with a catalog browser, autocompletion and a results grid;
its DuckDB adapter honours `--read-only`, so the shell can never change the warehouse.
It ships `hsql` too, the same adapter without the UI, used to prove the client works.
While the shell is open it holds a read lock: an ELT run then waits or asks to close it.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from analyst.warehouse import WarehouseUnavailable, connect_read_only

CLIENT = "harlequin"


def client_path(name: str = CLIENT) -> str | None:
    """The client installed beside this Python (the project venv), else on PATH."""
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return str(beside)
    return shutil.which(name)


def shell_command(duckdb_path: str, client: str, extra_args: list[str] | None = None) -> list[str]:
    """The exact command line `just shell` execs: the DuckDB adapter, read-only, this file."""
    return [client, "--adapter", "duckdb", "--read-only", *(extra_args or []), duckdb_path]


def run(argv: list[str], duckdb_path: str) -> int:
    """Check the warehouse can be read now (so errors are one line), then become harlequin."""
    if argv[:1] in (["-h"], ["--help"]):
        print("usage: just shell [harlequin options]: opens the warehouse read-only in harlequin")
        return 0
    client = client_path()
    if client is None:
        print(f"{CLIENT} is not installed: run `uv sync` (a project dependency)", file=sys.stderr)
        return 1
    try:
        with connect_read_only(duckdb_path):
            pass
    except WarehouseUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 1
    command = shell_command(duckdb_path, client, argv)
    sys.stdout.flush()
    os.execv(command[0], command)
    return 0  # not reached: execv replaces this process
