"""The commands the justfile calls: `elt` runs the pipeline, `query` reads the warehouse."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from ingestion.errors import explain
from ingestion.settings import TARGETS, load_settings


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def parse_elt_args(argv: list[str]) -> argparse.Namespace:
    """Accepts `--full-refresh` and just's `full_refresh=true` spelling."""
    normalised = []
    for arg in argv:
        if arg.startswith("full_refresh="):
            if _truthy(arg.split("=", 1)[1]):
                normalised.append("--full-refresh")
        elif arg.startswith("target="):
            normalised += ["--target", arg.split("=", 1)[1]]
        else:
            normalised.append(arg)
    parser = argparse.ArgumentParser(prog="elt", description="Load the API and build the marts.")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop the raw tables and incremental state, reload everything, rebuild all models",
    )
    parser.add_argument(
        "--target",
        choices=TARGETS,
        help="the warehouse to load (default: elt.target, i.e. duckdb)",
    )
    parser.add_argument(
        "--backfill",
        nargs=2,
        metavar=("FROM", "TO"),
        help="re-read incidents updated between two ISO timestamps; the cursor stays put",
    )
    parser.add_argument(
        "--check-deletions",
        action="store_true",
        help="list every incident this run to find the ones deleted upstream"
        " (otherwise every sources.analytics_api.deletion_check_hours)",
    )
    parser.add_argument(
        "--summary-json",
        metavar="PATH",
        help="also write the run summary as JSON (for benchmarks and schedulers)",
    )
    return parser.parse_args(normalised)


def cmd_elt(argv: list[str]) -> int:
    from ingestion.pipeline import RunOptions, run_elt
    from ingestion.source import Backfill

    args = parse_elt_args(argv)
    settings = load_settings()
    if args.target:
        settings = settings.with_overrides(target=args.target)
    backfill = Backfill(*args.backfill) if args.backfill else None
    try:
        options = RunOptions(
            full_refresh=args.full_refresh,
            backfill=backfill,
            check_deletions=args.check_deletions,
        )
        summary = run_elt(settings, options)
    except KeyboardInterrupt:
        print("ELT interrupted: nothing half-loaded is published; rerun to finish", file=sys.stderr)
        return 130
    except Exception as exc:  # the one place every failure becomes a short message
        print(f"ELT failed: {explain(exc, settings.warehouse)}", file=sys.stderr)
        return 1
    print(summary.render())
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(summary.as_dict(), indent=2, default=str))
    return 0


def _analyst_duckdb_path() -> str | None:
    """The DuckDB file the analyst commands read; None (with a message) on another target."""
    settings = load_settings()
    if not settings.on_duckdb:
        print(
            f"shell/report/status read the DuckDB warehouse, but elt.target is"
            f" {settings.target}: use `just query`, or that database's own client",
            file=sys.stderr,
        )
        return None
    return settings.duckdb_path


def cmd_query(argv: list[str]) -> int:
    """`just query "SQL" [--format table|csv|json|parquet] [--output PATH] [--limit N]`."""
    from ingestion.analyst import query

    settings = load_settings()
    if settings.target == "postgres":
        from ingestion.analyst import postgres
        from ingestion.settings import postgres_credentials

        return postgres.run(argv, postgres_credentials())
    path = _analyst_duckdb_path()
    return 1 if path is None else query.run(argv, path)


def cmd_shell(argv: list[str]) -> int:
    """`just shell`: harlequin, read-only, on the warehouse (extra args go to harlequin)."""
    from ingestion.analyst import shell

    path = _analyst_duckdb_path()
    return 1 if path is None else shell.run(argv, path)


def cmd_report(argv: list[str]) -> int:
    """`just report [--output PATH]`: one self-contained HTML file of charts from the marts."""
    from ingestion.analyst import report

    path = _analyst_duckdb_path()
    return 1 if path is None else report.run(argv, path)


def cmd_status(argv: list[str]) -> int:
    """`just status`: last run, mart row counts, incremental cursors, source freshness."""
    from ingestion.analyst import status

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


def cmd_docs(argv: list[str]) -> int:
    """`just docs [port]`: dbt docs generate + serve against the configured warehouse."""
    parser = argparse.ArgumentParser(prog="docs", description="Generate and serve dbt docs.")
    parser.add_argument("--port", default="8080")
    args = parser.parse_args(argv)
    settings = load_settings()
    env = dbt_environment(settings)
    target = ["--target", settings.target]
    generated = subprocess.run(["dbt", "docs", "generate", *target], env=env, check=False)
    if generated.returncode != 0:
        print("docs failed: `dbt docs generate` did not finish (see above)", file=sys.stderr)
        return generated.returncode
    os.execvpe("dbt", ["dbt", "docs", "serve", *target, "--port", args.port], env)
    return 0  # not reached: serve replaces this process


COMMANDS = {
    "elt": cmd_elt,
    "docs": cmd_docs,
    "query": cmd_query,
    "shell": cmd_shell,
    "report": cmd_report,
    "status": cmd_status,
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m ingestion.cli {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
