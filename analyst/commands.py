"""The analyst commands the justfile calls: query, shell, report, status and docs.

They read the published marts (DuckDB read-only, or PostgreSQL for `query`) and never load.
Each checks its arguments, then every setting, before it opens anything: a bad one raises
`BadInput`, which `cli.main` turns into one line and exit code 2.
"""

from __future__ import annotations

import os
import subprocess
import sys

from ingestion.arguments import PORT, ArgumentParser, typed
from ingestion.settings import Settings, load_settings


def _analyst_duckdb_path(settings: Settings | None = None) -> str | None:
    """The DuckDB file the analyst commands read; None (with a message) on another target."""
    settings = settings or load_settings()
    if not settings.on_duckdb:
        print(
            f"shell/report/status read the DuckDB warehouse, but elt.target is"
            f" {settings.target}: use `just query`, or that database's own client",
            file=sys.stderr,
        )
        return None
    return settings.duckdb_path


def query(argv: list[str]) -> int:
    """`just query "SQL" [--format table|csv|json|parquet] [--output PATH] [--limit N]`."""
    from analyst import query

    query.parse_args(argv)  # bad arguments stop here, before the settings are read
    settings = load_settings()
    if settings.target == "postgres":
        from analyst import postgres
        from ingestion.settings import postgres_credentials

        return postgres.run(argv, postgres_credentials())
    path = _analyst_duckdb_path(settings)
    return 1 if path is None else query.run(argv, path)


def shell(argv: list[str]) -> int:
    """`just shell`: harlequin, read-only, on the warehouse (extra args go to harlequin)."""
    from analyst import shell

    if argv[:1] in (["-h"], ["--help"]):
        return shell.run(argv, "")
    path = _analyst_duckdb_path()
    return 1 if path is None else shell.run(argv, path)


def report(argv: list[str]) -> int:
    """`just report [--output PATH]`: one self-contained HTML file of charts from the marts."""
    from analyst import report

    report.parse_args(argv)
    path = _analyst_duckdb_path()
    return 1 if path is None else report.run(argv, path)


def status(argv: list[str]) -> int:
    """`just status`: last run, mart row counts, incremental cursors, source freshness."""
    from analyst import status

    status.parse_args(argv)
    path = _analyst_duckdb_path()
    return 1 if path is None else status.run(argv, path)


def dbt_environment(settings) -> dict[str, str]:
    """The env dlt's dbt runner would give dbt: one place for credentials, either target."""
    env = dict(os.environ)
    if settings.on_duckdb:
        env["DLT__CREDENTIALS__DATABASE"] = settings.duckdb_path
    else:
        from ingestion.settings import postgres_credentials

        creds = postgres_credentials()
        for key in ("host", "port", "username", "password", "database"):
            if creds.get(key) is not None:
                env[f"DLT__CREDENTIALS__{key.upper()}"] = str(creds[key])
    return env


def docs(argv: list[str]) -> int:
    """`just docs [port]`: dbt docs generate + serve against the configured warehouse."""
    parser = ArgumentParser(prog="just docs", description="Generate and serve dbt docs.")
    parser.add_argument(
        "--port",
        type=typed(PORT, "port"),
        default=8080,
        help="the port to serve the docs on, 1-65535 (default 8080)",
    )
    args = parser.parse_args(argv)
    settings = load_settings()
    env = dbt_environment(settings)
    target = ["--target", settings.target]
    generated = subprocess.run(["dbt", "docs", "generate", *target], env=env, check=False)
    if generated.returncode != 0:
        print("docs failed: `dbt docs generate` did not finish (see above)", file=sys.stderr)
        return generated.returncode
    os.execvpe("dbt", ["dbt", "docs", "serve", *target, "--port", str(args.port)], env)
    return 0  # not reached: serve replaces this process
