"""Open the warehouse read-only and turn the ways that fails into one line an analyst can act on.

DuckDB lets one process write a file while nobody else has it open, so a read-only
connection fails while an ELT run writes, and an analyst's open connection makes the next
ELT wait. Connections here are therefore opened late and closed as soon as possible.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb

ELT_RUNNING = "the warehouse is being written by an ELT run right now: retry in a minute"


class WarehouseUnavailable(Exception):
    """The warehouse cannot be read now; the message says why and what to do."""


def first_line(exc: BaseException) -> str:
    """DuckDB errors add a hint block and URLs after the first line, which says it all."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def is_lock_error(exc: BaseException) -> bool:
    text = str(exc)
    return "Could not set lock on file" in text or "Conflicting lock" in text


def elt_holder_pid(duckdb_path: str) -> int | None:
    """The pid `just elt` wrote into its lock file beside the warehouse, if that process lives.

    Reads the file without locking it: taking the lock, even briefly, could make an ELT
    starting at that instant refuse to run.
    """
    try:
        text = Path(f"{duckdb_path}.elt.lock").read_text().strip()
        pid = int(text)
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


def lock_message(exc: BaseException, duckdb_path: str) -> str:
    """One line saying who holds the file: an ELT run (the usual case) or another process."""
    if elt_holder_pid(duckdb_path) is not None:
        return ELT_RUNNING
    holder = re.search(r"Conflicting lock is held in (.+?) \(PID (\d+)\)", str(exc))
    if holder:
        return (
            f"{ELT_RUNNING} (or another program has it open for writing: pid {holder.group(2)},"
            f" {holder.group(1)})"
        )
    return ELT_RUNNING


def missing_message(duckdb_path: str) -> str:
    return f"no warehouse at {duckdb_path} yet: run `just elt` first"


@contextlib.contextmanager
def connect_read_only(duckdb_path: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection, or WarehouseUnavailable with the one line to print."""
    if not Path(duckdb_path).exists():
        raise WarehouseUnavailable(missing_message(duckdb_path))
    try:
        con = duckdb.connect(duckdb_path, read_only=True)
    except duckdb.Error as exc:
        if is_lock_error(exc):
            raise WarehouseUnavailable(lock_message(exc, duckdb_path)) from None
        raise WarehouseUnavailable(f"cannot open {duckdb_path}: {first_line(exc)}") from None
    try:
        yield con
    finally:
        con.close()


def has_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    """Whether a relation exists, so a command can say "no run yet" instead of a Catalog Error."""
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(row and row[0])
