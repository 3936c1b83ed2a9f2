"""The `elt` command: its arguments, the run, and the one place a failure becomes a line."""

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


def elt(argv: list[str]) -> int:
    """`just elt [full_refresh=true] [--target T] [--backfill FROM TO] [--check-deletions]`."""
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
