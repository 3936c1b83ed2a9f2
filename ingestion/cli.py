"""The commands the justfile calls: `elt` runs the pipeline, `query` reads the warehouse."""

from __future__ import annotations

import argparse
import json
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
        summary = run_elt(settings, RunOptions(full_refresh=args.full_refresh, backfill=backfill))
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
            f"query/shell/report/status read the DuckDB warehouse, but elt.target is"
            f" {settings.target}: unset ELT__TARGET, or use that database's own client",
            file=sys.stderr,
        )
        return None
    return settings.duckdb_path


def cmd_query(argv: list[str]) -> int:
    """`just query "SQL" [--format table|csv|json|parquet] [--output PATH] [--limit N]`."""
    from ingestion.analyst import query

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


COMMANDS = {
    "elt": cmd_elt,
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
