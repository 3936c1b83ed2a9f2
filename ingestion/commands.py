"""The `elt` command: its arguments, the run, and the one place a failure becomes a line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ingestion.arguments import (
    ISO_INSTANT,
    NEW_FILE,
    ArgumentParser,
    one_of,
    typed,
)
from ingestion.errors import explain
from ingestion.settings import TARGETS, Found, load_settings
from ingestion.validation import BadValue, Boolean, shown

# just's `name=value` spelling of two flags (`just elt full_refresh=true target=postgres`)
JUST_STYLE = ("full_refresh", "target")


def _parser() -> ArgumentParser:
    parser = ArgumentParser(
        prog="elt",
        description="Load the API and build the marts. Also accepts just's spelling:"
        " full_refresh=true|false and target=duckdb|postgres.",
    )
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop the raw tables and incremental state, reload everything, rebuild all models",
    )
    parser.add_argument(
        "--target",
        **one_of(TARGETS),
        help="the warehouse to load (default: elt.target, i.e. duckdb)",
    )
    parser.add_argument(
        "--backfill",
        nargs=2,
        type=typed(ISO_INSTANT, "timestamp"),
        metavar=("FROM", "TO"),
        help="re-read incidents updated between two ISO-8601 timestamps with an offset"
        " (2026-02-01T00:00:00Z), FROM before TO; the cursor stays put",
    )
    parser.add_argument(
        "--check-deletions",
        action="store_true",
        help="list every incident this run to find the ones deleted upstream"
        " (otherwise every sources.analytics_api.deletion_check_hours)",
    )
    parser.add_argument(
        "--full-scans",
        action="store_true",
        help="read the catalogs, action items and retrospectives whole this run"
        " (otherwise every sources.analytics_api.full_scan_hours; default: every run)",
    )
    parser.add_argument(
        "--summary-json",
        metavar="PATH",
        type=typed(NEW_FILE, "path"),
        help="also write the run summary as JSON, to a file in a folder that exists",
    )
    return parser


def parse_elt_args(argv: list[str]) -> argparse.Namespace:
    """Accepts `--full-refresh` and just's `full_refresh=true` spelling; bad arguments raise
    `BadArguments` (one line, exit code 2)."""
    parser = _parser()
    normalised = []
    for arg in argv:
        name, sep, value = arg.partition("=")
        if not sep or name not in JUST_STYLE:
            normalised.append(arg)
        elif name == "target":
            normalised += ["--target", value]
        else:
            try:
                full_refresh = Boolean().parse(value)
            except BadValue as exc:
                parser.error(f"{name}: {shown(value)} is not {exc.accepts}")
            normalised += ["--full-refresh"] if full_refresh else []
    args = parser.parse_args(normalised)
    if args.backfill:
        start, end = args.backfill
        if ISO_INSTANT.instant(start) >= ISO_INSTANT.instant(end):
            parser.error(f"--backfill: FROM {start} is not before TO {end}")
    return args


def elt(argv: list[str]) -> int:
    """`just elt [full_refresh=true] [--target T] [--backfill FROM TO] [--check-deletions]`.

    Arguments and settings are checked first (`BadInput`, exit code 2, reported by
    `cli.main`): nothing is read, written or sent with a bad one."""
    from ingestion.run import run_elt
    from ingestion.run_options import RunOptions
    from ingestion.source import Backfill

    args = parse_elt_args(argv)
    overrides = {"target": Found(args.target, "--target")} if args.target else {}
    settings = load_settings(overrides)
    backfill = Backfill(*args.backfill) if args.backfill else None
    try:
        options = RunOptions(
            full_refresh=args.full_refresh,
            backfill=backfill,
            check_deletions=args.check_deletions,
            full_scans=args.full_scans,
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
