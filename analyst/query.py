"""`just query "SQL"`: run SQL read-only on the warehouse, print a table or export a file.

Exports go through DuckDB's own `COPY (query) TO ... (FORMAT ...)`, so CSV, JSON and
Parquet come out exactly as DuckDB writes them (types, quoting, timestamps) with no
Python round trip; stdout exports are written to a temporary file first and streamed.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from analyst.tables import footer, render_table
from analyst.warehouse import WarehouseUnavailable, connect_read_only, first_line
from ingestion.arguments import (
    NEW_FILE,
    NON_NEGATIVE,
    ArgumentParser,
    one_of,
    typed,
)

FORMATS = ("table", "csv", "json", "parquet")
COPY_OPTIONS = {
    "csv": "FORMAT csv, HEADER true",
    "json": "FORMAT json, ARRAY true",
    "parquet": "FORMAT parquet",
}
DEFAULT_LIMIT = 50
_FETCH_CHUNK = 10_000


class UsageError(Exception):
    """The arguments cannot work together; the message says which to change."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The flags; a bad one raises `BadArguments` (one line, exit code 2)."""
    parser = ArgumentParser(
        prog="just query",
        description="Run SQL read-only on the warehouse: print a table or write CSV/JSON/Parquet.",
    )
    parser.add_argument("sql", help='the SQL to run, e.g. "select * from marts.dim_teams"')
    parser.add_argument(
        "--format",
        "-f",
        **one_of(FORMATS),
        help="output format (default: from --output's suffix, else table)",
    )
    parser.add_argument(
        "--output",
        "-o",
        metavar="PATH",
        type=typed(NEW_FILE, "path"),
        help="write the result to this file (its folder must exist)",
    )
    parser.add_argument(
        "--limit",
        type=typed(NON_NEGATIVE, "integer"),
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"table rows to show (default {DEFAULT_LIMIT}; 0 shows all); exports are never cut",
    )
    return parser.parse_args(argv)


@dataclass(frozen=True)
class QueryRequest:
    """What `just query` was asked, on either warehouse: the SQL, the output format and file,
    the table row limit, and when it started (for the elapsed time it prints)."""

    sql: str
    fmt: str
    output: str | None
    limit: int
    started: float = field(default_factory=time.perf_counter)


def parse_request(argv: list[str]) -> QueryRequest | None:
    """The request, or None, with one line on stderr, when the format and the output path
    do not fit together."""
    args = parse_args(argv)
    try:
        fmt = resolve_format(args.format, args.output)
    except UsageError as exc:
        print(f"query: {exc}", file=sys.stderr)
        return None
    return QueryRequest(sql=args.sql, fmt=fmt, output=args.output, limit=args.limit)


def print_outcome(request: QueryRequest, columns: list[str], rows: list[tuple], total: int) -> None:
    """What `just query` prints once the query ran, the same on either warehouse: the table
    and its footer, the file written, or (data on stdout) the count on stderr."""
    elapsed = time.perf_counter() - request.started
    counted = f"{total} {'row' if total == 1 else 'rows'}"
    if request.fmt == "table":
        if columns:
            print(render_table(columns, rows))
        print(footer(len(rows), total, elapsed))
    elif request.output:
        print(f"wrote {counted} to {request.output} ({request.fmt}, {elapsed:.3f}s)")
    else:  # the data went to stdout: keep it clean for pipes
        print(f"({counted}, {elapsed:.3f}s)", file=sys.stderr)


def resolve_format(fmt: str | None, output: str | None) -> str:
    """The format to write: the flag, else the output file's suffix, else a table."""
    if fmt is None:
        suffix = Path(output).suffix.lower().lstrip(".") if output else ""
        fmt = {"csv": "csv", "json": "json", "parquet": "parquet", "pq": "parquet"}.get(
            suffix, "table"
        )
    if fmt == "table" and output:
        raise UsageError("--output writes csv, json or parquet: add --format csv|json|parquet")
    if fmt == "parquet" and not output:
        raise UsageError("parquet is binary: add --output PATH")
    return fmt


def strip_sql(sql: str) -> str:
    """Trailing semicolons would end the statement inside `COPY (...)`."""
    return sql.strip().rstrip(";").strip()


def copy_statement(sql: str, path: str, fmt: str) -> str:
    """`COPY (sql) TO 'path' (options)`; the newlines keep a trailing `-- comment` harmless."""
    quoted = path.replace("'", "''")
    return f"COPY (\n{strip_sql(sql)}\n) TO '{quoted}' ({COPY_OPTIONS[fmt]})"


def fetch_for_display(
    con: duckdb.DuckDBPyConnection, sql: str, limit: int
) -> tuple[list[str], list[tuple], int]:
    """Columns, the first `limit` rows (0 = all) and the total count, holding only shown rows."""
    cursor = con.execute(sql)
    columns = [d[0] for d in cursor.description or []]
    if not columns:
        return [], [], 0
    rows = cursor.fetchall() if limit <= 0 else cursor.fetchmany(limit)
    total = len(rows)
    if limit > 0:
        while chunk := cursor.fetchmany(_FETCH_CHUNK):
            total += len(chunk)
    return columns, rows, total


def export(con: duckdb.DuckDBPyConnection, sql: str, fmt: str, output: str | None) -> int:
    """Write the result with DuckDB's COPY to `output` (or stdout); returns the row count."""
    if output:
        row = con.execute(copy_statement(sql, output, fmt)).fetchone()
        return int(row[0]) if row else 0
    with tempfile.TemporaryDirectory(prefix="just-query-") as tmp:
        path = str(Path(tmp) / f"result.{fmt}")
        row = con.execute(copy_statement(sql, path, fmt)).fetchone()
        sys.stdout.flush()
        with open(path, "rb") as handle:
            shutil.copyfileobj(handle, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return int(row[0]) if row else 0


def run(argv: list[str], duckdb_path: str) -> int:
    """The command: 0 on success, 1 with one line on stderr when anything is wrong."""
    request = parse_request(argv)
    if request is None:
        return 2
    columns: list[str] = []
    rows: list[tuple] = []
    try:
        with connect_read_only(duckdb_path) as con:
            if request.fmt == "table":
                columns, rows, total = fetch_for_display(con, request.sql, request.limit)
            else:
                total = export(con, request.sql, request.fmt, request.output)
    except WarehouseUnavailable as exc:
        print(str(exc), file=sys.stderr)
        return 1
    except duckdb.Error as exc:
        print(f"query failed: {first_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("query interrupted", file=sys.stderr)
        return 130
    print_outcome(request, columns, rows, total)
    return 0
