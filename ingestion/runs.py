"""Run bookkeeping: one ELT at a time, a bounded wait for the warehouse, and the run ledger.

DuckDB allows a single writing process. Two `just elt` at once would fail half-way inside
dlt or dbt, so the second one is refused up front by an OS file lock; an analyst's open
connection is waited for (up to a configurable bound) before anything starts.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LEDGER_SCHEMA = "ops"
LEDGER_TABLE = f"{LEDGER_SCHEMA}.elt_runs"


class AlreadyRunningError(Exception):
    """Another ELT holds the run lock of this warehouse."""


class WarehouseLockedError(Exception):
    """Another process holds the DuckDB file."""


@contextlib.contextmanager
def elt_lock(path: str, warehouse: str) -> Iterator[None]:
    """Hold an exclusive lock file for the whole run (the OS releases it on exit or kill)."""
    lock_path = Path(path)
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise AlreadyRunningError(
                f"another `just elt` (pid {holder}) is running on {warehouse}:"
                " wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def wait_for_warehouse(duckdb_path: str, wait_seconds: float) -> None:
    """Return once the DuckDB file can be opened for writing, or explain who holds it."""
    import duckdb

    Path(duckdb_path).parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + max(0.0, wait_seconds)
    while True:
        try:
            duckdb.connect(duckdb_path).close()
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"the warehouse {duckdb_path} is locked by another process (an open DuckDB"
                    " shell or `just query`): close it and rerun, or set"
                    " ELT__LOCK_WAIT_SECONDS to wait"
                ) from None
            time.sleep(0.5)


def record_run(sql_client, run: dict[str, Any]) -> None:
    """Append one run to the ledger table analysts can query (`ops.elt_runs`)."""
    sql_client.execute_sql(f"create schema if not exists {LEDGER_SCHEMA}")
    sql_client.execute_sql(
        f"create table if not exists {LEDGER_TABLE} ("
        " run_id varchar primary key, started_at timestamp with time zone,"
        " finished_at timestamp with time zone, status varchar, source varchar,"
        " full_refresh boolean, rows_by_table varchar, pages_by_resource varchar,"
        " cursor_before varchar, cursor_after varchar, error varchar)"
    )
    # added after the first release: ledgers created earlier gain the column in place
    sql_client.execute_sql(f"alter table {LEDGER_TABLE} add column if not exists deletions varchar")
    sql_client.execute_sql(
        f"insert into {LEDGER_TABLE} (run_id, started_at, finished_at, status, source,"
        " full_refresh, rows_by_table, pages_by_resource, cursor_before, cursor_after, error,"
        " deletions) values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        run["run_id"],
        run["started_at"],
        run["finished_at"],
        run["status"],
        run["source"],
        run["full_refresh"],
        json.dumps(run.get("rows", {}), sort_keys=True),
        json.dumps(run.get("pages", {}), sort_keys=True),
        json.dumps(run.get("cursor_before")),
        json.dumps(run.get("cursor_after")),
        run.get("error"),
        json.dumps(run.get("deletions") or {}, sort_keys=True),
    )
