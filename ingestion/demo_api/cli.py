"""Command line: ``serve``, ``change`` and ``ground-truth`` (``python -m ingestion.demo_api``).

The token is read from ``DEMO_API_TOKEN`` and never printed; without it a random token is
generated and kept in memory, which makes a foreground server usable only by callers that
set the variable themselves (as ``run_demo_api`` does).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from ingestion.arguments import (
    ANY_PORT,
    NEW_FILE,
    NON_NEGATIVE,
    POSITIVE,
    ArgumentParser,
    bad_input_exit,
    choice,
    choices_metavar,
    comma_list,
    typed,
)
from ingestion.demo_api.dataset import Dataset
from ingestion.demo_api.faults import META_KEYS, RESOURCES, RETYPE_TARGETS, Faults
from ingestion.demo_api.ratelimit import (
    BODY_STYLES,
    DEFAULT_LIMIT,
    DEFAULT_WINDOW_S,
    HEADER_DIALECTS,
)
from ingestion.demo_api.server import ServerConfig, build_server
from ingestion.demo_api.state import DemoState, resolve_state, save_state
from ingestion.validation import BadInput, FolderPath, Host, Integer, Number, Pair

TOKEN_ENV = "DEMO_API_TOKEN"
READY_PREFIX = "demo API listening on "

SHARE = typed(Number(0, 1), "share")
PAGE = typed(POSITIVE, "page")

FAULT_FLAGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--error-rate", {"type": SHARE, "help": "share of /v1 requests answered 500/502/503 (0-1)"}),
    (
        "--error-status",
        {
            "type": typed(Integer(400, 599), "status"),
            "help": "status used by --error-rate (400-599; default: mixed)",
        },
    ),
    (
        "--slow-ms",
        {
            "type": typed(Integer(0, 600_000), "ms"),
            "help": "delay every /v1 response by this many ms",
        },
    ),
    ("--truncate-page", {"type": PAGE, "metavar": "N", "help": "cut page N's JSON mid-way"}),
    ("--html-page", {"type": PAGE, "metavar": "N", "help": "answer page N with 200 text/html"}),
    ("--no-data-page", {"type": PAGE, "metavar": "N", "help": "answer page N without 'data'"}),
    (
        "--rename-field",
        {
            "action": "append",
            "type": typed(Pair("OLD=NEW"), "pair"),
            "metavar": "OLD=NEW",
            "help": "rename an attribute (repeatable)",
        },
    ),
    (
        "--retype-field",
        {
            "action": "append",
            "type": typed(Pair("NAME=TYPE", RETYPE_TARGETS), "pair"),
            "metavar": "NAME=TYPE",
            "help": "change an attribute's type: " + "|".join(RETYPE_TARGETS),
        },
    ),
    ("--fault-from-page", {"type": PAGE, "help": "rename/retype from this page on (default 1)"}),
    ("--duplicate-rate", {"type": SHARE, "help": "repeat records of the previous page (0-1)"}),
    ("--always-429", {"action": "store_true", "default": None, "help": "every request 429"}),
    (
        "--fail-after-pages",
        {"type": typed(NON_NEGATIVE, "count"), "metavar": "N", "help": "N good pages, then 500s"},
    ),
    (
        "--max-page-size",
        {
            "type": typed(NON_NEGATIVE, "count"),
            "metavar": "N",
            "help": "refuse page[size] above N with a 400 (an API stricter than the spec)",
        },
    ),
    (
        "--fault-resource",
        {
            "type": choice(*RESOURCES),
            "metavar": choices_metavar(RESOURCES),
            "help": "faults hit only this resource",
        },
    ),
    (
        "--no-cursor-paging",
        {
            "action": "store_true",
            "default": None,
            "help": "an older server: no meta.next_cursor, page[after] ignored",
        },
    ),
    (
        "--omit-meta",
        {
            "action": "append",
            "type": comma_list(*META_KEYS),
            "metavar": "KEY",
            "help": "leave KEY out of list meta, e.g. total_pages (repeatable, or a,b): "
            + ", ".join(META_KEYS),
        },
    ),
    ("--omit-links", {"action": "store_true", "default": None, "help": "no links object"}),
    (
        "--local-offsets",
        {
            "action": "store_true",
            "default": None,
            "help": "write timestamps in a mix of local UTC offsets (-07:00, +10:00, ...)",
        },
    ),
    (
        "--omit-null-attributes",
        {"action": "store_true", "default": None, "help": "leave null attributes out"},
    ),
    (
        "--churn-per-page",
        {
            "type": typed(Number(0, 1000), "rate"),
            "metavar": "N",
            "help": "live incident updates after each page (0-1000; default 0); alerts"
            " instead with --fault-resource alerts",
        },
    ),
    (
        "--churn-delete-share",
        {"type": SHARE, "metavar": "P", "help": "share of live updates that delete (0-1; 0)"},
    ),
)


def _data_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--seed",
        type=typed(Integer(0, 2**32 - 1), "seed"),
        help="data seed (default 42 or the stored one)",
    )
    parser.add_argument(
        "--incidents",
        type=typed(Integer(0, 10_000_000), "count"),
        help="incident count (default 500)",
    )
    parser.add_argument(
        "--dashboards",
        type=typed(Integer(0, 100_000), "count"),
        help="dashboard count (default 40)",
    )
    parser.add_argument(
        "--change-fraction",
        type=SHARE,
        help="share of incidents a change batch updates (0-1; default 0.01)",
    )
    parser.add_argument(
        "--state-dir",
        type=lambda text: Path(typed(FolderPath(), "folder")(text)),
        help="persist change batches in DIR/state.json (created if missing)",
    )


def _output_file(text: str) -> str:
    return text if text == "-" else typed(NEW_FILE, "path")(text)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="python -m ingestion.demo_api",
        description="Demo incident-management JSON:API on loopback (token: $DEMO_API_TOKEN).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API in the foreground")
    serve.add_argument(
        "--host",
        type=typed(Host(), "host"),
        default="127.0.0.1",
        help="bind address (default 127.0.0.1)",
    )
    serve.add_argument(
        "--port", type=typed(ANY_PORT, "port"), default=0, help="port, 0-65535; 0 picks a free one"
    )
    _data_flags(serve)
    serve.add_argument(
        "--rate-limit",
        type=typed(POSITIVE, "count"),
        default=DEFAULT_LIMIT,
        help="requests per window (at least 1)",
    )
    serve.add_argument(
        "--rate-window",
        type=typed(Number(0, low_open=True), "seconds"),
        default=DEFAULT_WINDOW_S,
        help="window seconds, above 0 (60)",
    )
    serve.add_argument("--retry-after", action="store_true", help="send Retry-After on 429")
    serve.add_argument(
        "--rate-limit-headers",
        type=choice(*HEADER_DIALECTS),
        metavar=choices_metavar(HEADER_DIALECTS),
        default="ietf",
        help="rate-limit header dialect: RateLimit-* (epoch or delta reset), X-RateLimit-*, none",
    )
    serve.add_argument(
        "--rate-limit-body",
        type=choice(*BODY_STYLES),
        metavar=choices_metavar(BODY_STYLES),
        default="jsonapi",
        help="429 body: JSON:API errors, the spec's plain {error: ...}, or empty",
    )
    serve.add_argument("--verbose", action="store_true", help="log requests (no headers) to stderr")
    faults = serve.add_argument_group("faults")
    for flag, options in FAULT_FLAGS:
        faults.add_argument(flag, **options)

    change = commands.add_parser("change", help="apply change batches to a state dir offline")
    _data_flags(change)
    change.add_argument(
        "--count", type=typed(NON_NEGATIVE, "count"), default=1, help="batches to apply (default 1)"
    )

    truth = commands.add_parser("ground-truth", help="write the full current data set as JSON")
    _data_flags(truth)
    truth.add_argument(
        "--output",
        type=_output_file,
        default="-",
        help="file to write, in a folder that exists; - for stdout",
    )
    return parser


def faults_from_args(args: argparse.Namespace) -> Faults:
    values = {
        flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
        for flag, _ in FAULT_FLAGS
    }
    if values["omit_meta"]:  # one list per --omit-meta
        values["omit_meta"] = [key for keys in values["omit_meta"] for key in keys]
    return Faults.from_mapping({k: v for k, v in values.items() if v is not None})


def _state(args: argparse.Namespace) -> DemoState:
    return resolve_state(
        args.state_dir, args.seed, args.incidents, args.dashboards, args.change_fraction
    )


def serve(args: argparse.Namespace) -> int:
    state = _state(args)
    token = os.environ.get(TOKEN_ENV) or secrets.token_urlsafe(32)
    dataset = Dataset(state.params, state.batches_applied)
    if args.state_dir is not None:
        save_state(args.state_dir, DemoState(dataset.params, dataset.batches_applied))
    config = ServerConfig(
        token=token,
        rate_limit=args.rate_limit,
        rate_window=args.rate_window,
        retry_after=args.retry_after,
        faults=faults_from_args(args),
        state_dir=args.state_dir,
        verbose=args.verbose,
        rate_limit_headers=args.rate_limit_headers,
        rate_limit_body=args.rate_limit_body,
    )
    server = build_server(dataset, config, args.host, args.port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    thread = threading.Thread(
        target=server.serve_forever, args=(0.05,), name="demo-api", daemon=True
    )
    thread.start()
    print(f"{READY_PREFIX}http://{args.host}:{server.port}/v1/", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
    return 0


def change(args: argparse.Namespace) -> int:
    if args.state_dir is None:
        print("change needs --state-dir (where the batch count is kept)", file=sys.stderr)
        return 2
    state = _state(args)
    dataset = Dataset(state.params, state.batches_applied)
    summaries = dataset.apply_changes(args.count)
    save_state(args.state_dir, DemoState(dataset.params, dataset.batches_applied))
    report = {
        "batches_applied": dataset.batches_applied,
        "batches": [s.to_dict() for s in summaries],
    }
    print(json.dumps(report, ensure_ascii=False))
    return 0


def ground_truth(args: argparse.Namespace) -> int:
    state = _state(args)
    dataset = Dataset(state.params, state.batches_applied)
    if args.output == "-":
        for chunk in dataset.iter_ground_truth_json():
            sys.stdout.write(chunk)
        sys.stdout.write("\n")
        return 0
    with open(args.output, "w", encoding="utf-8") as handle:
        for chunk in dataset.iter_ground_truth_json():
            handle.write(chunk)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Bad flags: one line, exit code 2, before any state is read or written."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "serve":
            faults_from_args(args)  # a bad fault combination, too, before any state is written
    except BadInput as exc:
        return bad_input_exit(exc, "demo API failed")
    except ValueError as exc:  # a fault combination Faults refuses
        print(f"demo API: {exc}", file=sys.stderr)
        return 2
    handlers = {"serve": serve, "change": change, "ground-truth": ground_truth}
    try:
        return handlers[args.command](args)
    except ValueError as exc:
        print(f"demo API: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # e.g. the port is taken
        print(f"demo API failed: {exc.strerror or exc}", file=sys.stderr)
        return 1
