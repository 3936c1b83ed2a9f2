"""What the project uses of dlt's SQL client, over a plain DuckDB connection.

For the tests of code that takes a `sql_client` (`changes`, `publish`, the ledger) without
a pipeline: `execute_sql` with dlt's `%s` placeholders, `begin_transaction`, and
`make_qualified_table_name` (tables in the connection's default schema).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import duckdb


class DuckDBClient:
    def __init__(self, con: duckdb.DuckDBPyConnection | None = None) -> None:
        self.con = con or duckdb.connect()

    def make_qualified_table_name(self, table: str) -> str:
        return f'"{table}"'

    def execute_sql(self, sql: str, *args) -> list[tuple]:
        return self.con.execute(sql.replace("%s", "?"), list(args)).fetchall()

    @contextlib.contextmanager
    def begin_transaction(self) -> Iterator[None]:
        self.con.execute("begin")
        yield
        self.con.execute("commit")
