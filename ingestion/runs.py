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
from datetime import UTC, datetime
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


LEDGER_COLUMNS = (
    "run_id varchar primary key, started_at timestamp with time zone,"
    " finished_at timestamp with time zone, status varchar, source varchar,"
    " full_refresh boolean, rows_by_table varchar, pages_by_resource varchar,"
    " cursor_before varchar, cursor_after varchar, error varchar"
)
PENDING_FILE = "ledger_pending.jsonl"


def record_run(sql_client, run: dict[str, Any]) -> None:
    """Write one run's row in the ledger table analysts can query (`ops.elt_runs`).

    An upsert on `run_id`: a run's `running` row is completed by its final one, and a row
    written twice (a deferred one flushed again) stays one row. The caller has made sure
    the table exists (`ensure_ledger`, once per connection).
    """
    columns = (
        "run_id, started_at, finished_at, status, source, full_refresh, rows_by_table,"
        " pages_by_resource, cursor_before, cursor_after, error, deletions, build,"
        " raw_digest, dbt_fingerprint, raw_tables"
    )
    updated = [c.strip() for c in columns.split(",")[2:]]
    assignments = ", ".join(f"{c} = excluded.{c}" for c in updated)
    sql_client.execute_sql(
        f"insert into {LEDGER_TABLE} ({columns})"
        " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        f" on conflict (run_id) do update set {assignments}",
        run["run_id"],
        _moment(run["started_at"]),
        _moment(run.get("finished_at")),
        run["status"],
        run["source"],
        run["full_refresh"],
        json.dumps(run.get("rows", {}), sort_keys=True),
        json.dumps(run.get("pages", {}), sort_keys=True),
        json.dumps(run.get("cursor_before")),
        json.dumps(run.get("cursor_after")),
        run.get("error"),
        json.dumps(run.get("deletions") or {}, sort_keys=True),
        run.get("build"),
        run.get("raw_digest"),
        run.get("dbt_fingerprint"),
        run.get("raw_tables"),
    )


def ensure_ledger(sql_client) -> None:
    sql_client.execute_sql(f"create schema if not exists {LEDGER_SCHEMA}")
    sql_client.execute_sql(f"create table if not exists {LEDGER_TABLE} ({LEDGER_COLUMNS})")
    # added after the first release: ledgers created earlier gain the columns in place
    for column in ADDED_COLUMNS:
        sql_client.execute_sql(f"alter table {LEDGER_TABLE} add column if not exists {column}")


# `build`: "built" (everything), "partial" (what is downstream of the changes), or "no
# changes" when raw and the dbt project were as the last published build left them
# (`ingestion.changes`), whose fingerprints a successful run records (`raw_tables`: the
# per-table digests, JSON)
ADDED_COLUMNS = (
    "deletions varchar",
    "build varchar",
    "raw_digest varchar",
    "dbt_fingerprint varchar",
    "raw_tables varchar",
)


def last_published(sql_client) -> tuple[str | None, str | None]:
    """The per-table raw digests (JSON; None on PostgreSQL) and dbt fingerprint of the
    newest run that published (or found nothing to publish), or (None, None) before the
    first."""
    rows = sql_client.execute_sql(
        f"select raw_tables, dbt_fingerprint from {LEDGER_TABLE}"
        " where status = 'success' and dbt_fingerprint is not null"
        " order by finished_at desc limit 1"
    )
    return (rows[0][0], rows[0][1]) if rows else (None, None)


def previous_run_digests(sql_client, run_id: str) -> dict[str, str] | None:
    """The per-table raw digests the run before `run_id` recorded as it finished, or None
    when it recorded none or did not succeed (a failed or killed run may have loaded rows
    without recording what raw then held). Refused runs never reached the warehouse."""
    rows = sql_client.execute_sql(
        f"select status, raw_tables from {LEDGER_TABLE}"
        " where run_id <> %s and status <> 'refused' order by started_at desc limit 1",
        run_id,
    )
    if not rows or rows[0][0] != "success" or rows[0][1] is None:
        return None
    return json.loads(rows[0][1])


def build_schemas_as_published(sql_client, run_id: str) -> bool:
    """Whether no run since the last one that built and published has failed or been
    killed (`run_id`, the run asking, left out).

    Only then do the build schemas hold exactly what was published: a run that failed or
    was killed may have rebuilt some models there before it stopped, and a later run that
    found nothing new to build ("no changes") left them as they were.
    """
    built = sql_client.execute_sql(
        f"select max(started_at) from {LEDGER_TABLE}"
        " where status = 'success' and coalesce(build, 'built') <> 'no changes'"
    )[0][0]
    if built is None:
        return False
    failed = sql_client.execute_sql(
        f"select count(*) from {LEDGER_TABLE}"
        " where run_id <> %s and status not in ('success', 'refused') and started_at > %s",
        run_id,
        built,
    )[0][0]
    return failed == 0


def _moment(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class Ledger:
    """Every run that starts gets a row in `ops.elt_runs`, even one that cannot write it.

    A run refused because another run or an analyst holds the warehouse cannot write to it
    (DuckDB has one writer). Its row waits in the working folder (`ledger_pending.jsonl`)
    and the next run that writes the ledger adds it. A run that got the warehouse writes a
    `running` row first; one that was killed keeps it, and the next run marks it
    `interrupted`.
    """

    def __init__(self, working_dir: str) -> None:
        self.pending = Path(working_dir) / PENDING_FILE

    def start(self, pipeline, run: dict[str, Any]) -> None:
        """Mark runs left `running` as interrupted (this run holds the lock), then add this one."""
        with contextlib.suppress(Exception), pipeline.sql_client() as client:
            ensure_ledger(client)
            client.execute_sql(
                f"update {LEDGER_TABLE} set status = 'interrupted' where status = 'running'"
            )
        self.write(pipeline, run, finished=False, ensured=True)

    def write(
        self, pipeline, run: dict[str, Any], finished: bool = True, ensured: bool = False
    ) -> None:
        """Write `run` and any deferred rows; defer `run` if the warehouse cannot be written.

        Best effort: a ledger that cannot be written must not hide the run's own outcome.
        """
        if finished:
            run = run | {"finished_at": datetime.now(UTC)}
        with self._pending_file() as handle:
            handle.seek(0)
            rows = [json.loads(line) for line in handle.read().splitlines() if line.strip()]
            try:
                with pipeline.sql_client() as client:
                    if not ensured:
                        ensure_ledger(client)
                    for row in [*rows, run]:
                        record_run(client, row)
            except Exception:
                handle.write(_line(run))
                return
            handle.seek(0)
            handle.truncate()

    def defer(self, run: dict[str, Any]) -> None:
        """Keep a refused run's row for the next run: a refused run never touches the
        warehouse, which the run holding it may need at that very moment."""
        with contextlib.suppress(OSError), self._pending_file() as handle:
            handle.write(_line(run | {"finished_at": datetime.now(UTC)}))

    @contextlib.contextmanager
    def _pending_file(self) -> Iterator[Any]:
        """The deferred rows, locked against a refused run appending at the same time."""
        self.pending.parent.mkdir(parents=True, exist_ok=True)
        with self.pending.open("a+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                handle.flush()
                fcntl.flock(handle, fcntl.LOCK_UN)


def _line(run: dict[str, Any]) -> str:
    return json.dumps(run, default=_iso) + "\n"


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__} in the deferred ledger")
