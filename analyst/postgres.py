"""`just query` on the PostgreSQL target: the same output, through a read-only session.

DuckDB writes CSV/JSON/Parquet itself with COPY; on PostgreSQL the rows come back to
Python and are written with the standard library (CSV, JSON lines) or pyarrow (Parquet).
"""

from __future__ import annotations

import csv
import json
import sys
from typing import Any

from analyst.query import parse_request, print_outcome
from analyst.warehouse import first_line


def connect(credentials: dict[str, Any]):
    import psycopg2

    con = psycopg2.connect(
        host=credentials["host"],
        port=credentials["port"],
        user=credentials["username"],
        password=credentials.get("password") or None,
        dbname=credentials["database"],
        connect_timeout=10,
    )
    con.set_session(readonly=True, autocommit=True)
    return con


def write(columns: list[str], rows: list[tuple], fmt: str, output: str | None) -> None:
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist([dict(zip(columns, row, strict=True)) for row in rows])
        pq.write_table(table, output or sys.stdout.buffer)
        return
    handle = open(output, "w", newline="") if output else sys.stdout  # noqa: SIM115
    try:
        if fmt == "csv":
            writer = csv.writer(handle)
            writer.writerow(columns)
            writer.writerows(rows)
        else:  # json: one object per line, as DuckDB's COPY writes it
            for row in rows:
                record = dict(zip(columns, row, strict=True))
                handle.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
    finally:
        if output:
            handle.close()


def run(argv: list[str], credentials: dict[str, Any]) -> int:
    import psycopg2

    request = parse_request(argv)
    if request is None:
        return 2
    try:
        with connect(credentials) as con, con.cursor() as cur:
            cur.execute(request.sql)
            columns = [d[0] for d in cur.description or []]
            rows = cur.fetchall() if columns else []
    except psycopg2.Error as exc:
        print(f"query failed: {first_line(exc)}", file=sys.stderr)
        return 1
    if request.fmt == "table":
        shown = rows if request.limit <= 0 else rows[: request.limit]
        print_outcome(request, columns, shown, len(rows))
        return 0
    write(columns, rows, request.fmt, request.output)
    print_outcome(request, columns, rows, len(rows))
    return 0
