"""The commands the justfile calls: `elt` runs the pipeline, `query` reads the warehouse."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from ingestion.errors import explain
from ingestion.settings import load_settings


def _truthy(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


def parse_elt_args(argv: list[str]) -> argparse.Namespace:
    """Accepts `--full-refresh` and just's `full_refresh=true` spelling."""
    normalised = []
    for arg in argv:
        if arg.startswith("full_refresh="):
            if _truthy(arg.split("=", 1)[1]):
                normalised.append("--full-refresh")
        else:
            normalised.append(arg)
    parser = argparse.ArgumentParser(prog="elt", description="Load the API and build the marts.")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="drop the raw tables and incremental state, reload everything, rebuild all models",
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
    backfill = Backfill(*args.backfill) if args.backfill else None
    try:
        summary = run_elt(settings, RunOptions(full_refresh=args.full_refresh, backfill=backfill))
    except KeyboardInterrupt:
        print("ELT interrupted: nothing half-loaded is published; rerun to finish", file=sys.stderr)
        return 130
    except Exception as exc:  # the one place every failure becomes a short message
        print(f"ELT failed: {explain(exc, settings.duckdb_path)}", file=sys.stderr)
        return 1
    print(summary.render())
    if args.summary_json:
        Path(args.summary_json).write_text(json.dumps(summary.as_dict(), indent=2, default=str))
    return 0


def render_table(columns: list[str], rows: list[tuple]) -> str:
    """An aligned plain-text table; None shows as NULL."""
    cells = [["NULL" if v is None else str(v) for v in row] for row in rows]
    widths = [len(c) for c in columns]
    for row in cells:
        widths = [max(w, len(v)) for w, v in zip(widths, row, strict=True)]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)), line]
    out += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(out)


def cmd_query(argv: list[str]) -> int:
    import duckdb

    parser = argparse.ArgumentParser(
        prog="query", description="Run SQL read-only on the warehouse."
    )
    parser.add_argument("sql", help="the SQL to run")
    args = parser.parse_args(argv)
    settings = load_settings()
    if not Path(settings.duckdb_path).exists():
        print(f"no warehouse at {settings.duckdb_path} yet: run `just elt` first", file=sys.stderr)
        return 1
    started = time.perf_counter()
    try:
        with duckdb.connect(settings.duckdb_path, read_only=True) as con:
            cursor = con.execute(args.sql)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall() if columns else []
    except Exception as exc:
        print(f"query failed: {explain(exc, settings.duckdb_path)}", file=sys.stderr)
        return 1
    elapsed = time.perf_counter() - started
    if columns:
        print(render_table(columns, rows))
    print(f"({len(rows)} row{'s' if len(rows) != 1 else ''}, {elapsed:.3f}s)")
    return 0


COMMANDS = {"elt": cmd_elt, "query": cmd_query}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m ingestion.cli {{{','.join(COMMANDS)}}} ...", file=sys.stderr)
        return 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
