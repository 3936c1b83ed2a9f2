"""`python -m bench` (`just bench`): run the scenarios, print the table, write the JSON."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import report, scenarios
from ingestion.arguments import NEW_FOLDER, ArgumentParser, bad_input_exit, comma_list, typed
from ingestion.validation import BadInput, Integer, Number

DEFAULT_OUTPUT = Path(__file__).resolve().parent / "results"


RATE_LIMIT_DIALECTS = ("ietf", "ietf-delta", "x", "none")


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The flags; a bad one raises `BadArguments` (one line, exit code 2)."""
    parser = ArgumentParser(
        prog="just bench",
        description="Measure the ELT against a minimal client and a bare dbt build.",
    )
    parser.add_argument(
        "--scales",
        type=comma_list(*scenarios.SCALES),
        default="small,medium",
        help=f"comma list of {','.join(scenarios.SCALES)} (default small,medium)",
    )
    parser.add_argument("--large", action="store_true", help="add the 1M-incident scale")
    parser.add_argument(
        "--repeat",
        type=typed(Integer(1, 100), "count"),
        default=None,
        help="repetitions per figure, 1-100 (default: 3 if a run takes under a minute, else 1)",
    )
    parser.add_argument("--skip-floor", action="store_true", help="no minimal-client floor")
    parser.add_argument("--skip-rate-limited", action="store_true", help="no rate-limited scenario")
    parser.add_argument(
        "--rate-limit-dialects",
        type=comma_list(*RATE_LIMIT_DIALECTS),
        default="ietf,x",
        help="header dialects of the rate-limited runs, comma-separated, the first one checked"
        " against the targets (ietf, ietf-delta, x, none; default ietf,x)",
    )
    parser.add_argument(
        "--skip-incremental", action="store_true", help="no change batch + incremental run"
    )
    parser.add_argument(
        "--full-scan-hours",
        type=typed(Number(0, 365 * 24, unit="hours"), "hours"),
        default=None,
        help="sources.analytics_api.full_scan_hours for the nothing-changed and incremental"
        " runs (default: the ELT's own, every run)",
    )
    parser.add_argument(
        "--output",
        type=lambda text: Path(typed(NEW_FOLDER, "folder")(text)),
        default=DEFAULT_OUTPUT,
        help="results dir, in an existing folder (bench/results)",
    )
    parser.add_argument("--quick", action="store_true", help="small scale only, repeat 1")
    parser.add_argument(
        "--keep-workdirs", action="store_true", help="keep the temp warehouses and logs"
    )
    args = parser.parse_args(argv)
    scales = list(args.scales)
    if args.large and "large" not in scales:
        scales.append("large")
    if args.quick:
        scales, args.repeat = ["small"], 1
    args.scale_list = scales
    return args


def run(args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    started = time.perf_counter()
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": report.machine(),
        "options": {
            "scales": args.scale_list,
            "repeat": args.repeat,
            "skip_floor": args.skip_floor,
            "skip_rate_limited": args.skip_rate_limited,
            "page_size": scenarios.PAGE_SIZE,
            "full_scan_hours": args.full_scan_hours,
        },
        "full_load": [],
    }
    incremental_ws = None
    incremental_scale = None
    for scale in args.scale_list:
        figures, ws = scenarios.full_load(scale, workdir, args.repeat, args.skip_floor)
        results["full_load"].append(figures)
        # the incremental run follows the medium load, or the first scale when medium is off
        if ws is not None and (scale == "medium" or incremental_scale is None):
            incremental_ws, incremental_scale = ws, scale
    if incremental_ws is not None and not args.skip_incremental:
        full = next(s for s in results["full_load"] if s["scale"] == incremental_scale)
        hourly = scenarios.hourly_env(args.full_scan_hours)
        with scenarios.running_api(incremental_ws, incremental_scale) as api:
            results["unchanged"] = scenarios.unchanged(
                incremental_ws, incremental_scale, full, args.repeat, api, hourly
            )
            results["incremental"] = scenarios.incremental(
                incremental_ws, incremental_scale, full, args.repeat, api, hourly
            )
        for name in ("unchanged", "incremental"):
            results[name]["full_scan_hours"] = args.full_scan_hours
    if not args.skip_rate_limited:
        dialects = args.rate_limit_dialects
        by_dialect = {d: scenarios.rate_limited(workdir, d) for d in dialects}
        results["rate_limited"] = by_dialect[dialects[0]]
        results["rate_limited_by_dialect"] = by_dialect
    results["bench_seconds"] = time.perf_counter() - started
    results["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report.add_verdicts(results)
    return results


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(list(sys.argv[1:] if argv is None else argv))
    except BadInput as exc:
        return bad_input_exit(exc, "bench failed")
    workdir = Path(tempfile.mkdtemp(prefix="elt-bench-"))
    try:
        results = run(args, workdir)
    finally:
        if args.keep_workdirs:
            print(f"[bench] workdirs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(report.render(results))
    path = report.write_results(results, args.output)
    print(f"\nresults: {path} (and {args.output / 'latest.json'})")
    failed = [s for s in results["full_load"] if not s["ok"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
