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

from ingestion.demo_api.dataset import Dataset
from ingestion.demo_api.faults import Faults
from ingestion.demo_api.ratelimit import (
    BODY_STYLES,
    DEFAULT_LIMIT,
    DEFAULT_WINDOW_S,
    HEADER_DIALECTS,
)
from ingestion.demo_api.server import ServerConfig, build_server
from ingestion.demo_api.state import DemoState, resolve_state, save_state

TOKEN_ENV = "DEMO_API_TOKEN"
READY_PREFIX = "demo API listening on "

FAULT_FLAGS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("--error-rate", {"type": float, "help": "share of /v1 requests answered 500/502/503"}),
    ("--error-status", {"type": int, "help": "status used by --error-rate (default: mixed)"}),
    ("--slow-ms", {"type": int, "help": "delay every /v1 response by this many ms"}),
    ("--truncate-page", {"type": int, "metavar": "N", "help": "cut page N's JSON mid-way"}),
    ("--html-page", {"type": int, "metavar": "N", "help": "answer page N with 200 text/html"}),
    ("--no-data-page", {"type": int, "metavar": "N", "help": "answer page N without 'data'"}),
    (
        "--rename-field",
        {"action": "append", "metavar": "OLD=NEW", "help": "rename an attribute (repeatable)"},
    ),
    (
        "--retype-field",
        {
            "action": "append",
            "metavar": "NAME=TYPE",
            "help": "change an attribute's type: string|int|float|bool|null|object|array",
        },
    ),
    ("--fault-from-page", {"type": int, "help": "rename/retype from this page on (default 1)"}),
    ("--duplicate-rate", {"type": float, "help": "repeat records of the previous page"}),
    ("--always-429", {"action": "store_true", "default": None, "help": "every request 429"}),
    ("--fail-after-pages", {"type": int, "metavar": "N", "help": "N good pages, then 500s"}),
    (
        "--fault-resource",
        {"choices": ("incidents", "dashboards"), "help": "faults hit only this resource"},
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
            "metavar": "KEY",
            "help": "leave KEY out of list meta, e.g. total_pages (repeatable, or a,b)",
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
        {"type": float, "metavar": "N", "help": "live incident updates after each page (0)"},
    ),
    (
        "--churn-delete-share",
        {"type": float, "metavar": "P", "help": "share of live updates that delete (0)"},
    ),
)


def _data_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, help="data seed (default 42 or the stored one)")
    parser.add_argument("--incidents", type=int, help="incident count (default 500)")
    parser.add_argument("--dashboards", type=int, help="dashboard count (default 40)")
    parser.add_argument(
        "--change-fraction", type=float, help="share of incidents a change batch updates (0.01)"
    )
    parser.add_argument("--state-dir", type=Path, help="persist change batches in DIR/state.json")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.demo_api",
        description="Demo incident-management JSON:API on loopback (token: $DEMO_API_TOKEN).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API in the foreground")
    serve.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    _data_flags(serve)
    serve.add_argument("--rate-limit", type=int, default=DEFAULT_LIMIT, help="requests/window")
    serve.add_argument(
        "--rate-window", type=float, default=DEFAULT_WINDOW_S, help="window seconds (60)"
    )
    serve.add_argument("--retry-after", action="store_true", help="send Retry-After on 429")
    serve.add_argument(
        "--rate-limit-headers",
        choices=HEADER_DIALECTS,
        default="ietf",
        help="rate-limit header dialect: RateLimit-* (epoch or delta reset), X-RateLimit-*, none",
    )
    serve.add_argument(
        "--rate-limit-body",
        choices=BODY_STYLES,
        default="jsonapi",
        help="429 body: JSON:API errors, the spec's plain {error: ...}, or empty",
    )
    serve.add_argument("--verbose", action="store_true", help="log requests (no headers) to stderr")
    faults = serve.add_argument_group("faults")
    for flag, options in FAULT_FLAGS:
        faults.add_argument(flag, **options)

    change = commands.add_parser("change", help="apply change batches to a state dir offline")
    _data_flags(change)
    change.add_argument("--count", type=int, default=1, help="batches to apply (default 1)")

    truth = commands.add_parser("ground-truth", help="write the full current data set as JSON")
    _data_flags(truth)
    truth.add_argument("--output", default="-", help="file to write; - for stdout")
    return parser


def faults_from_args(args: argparse.Namespace) -> Faults:
    values = {
        flag[2:].replace("-", "_"): getattr(args, flag[2:].replace("-", "_"))
        for flag, _ in FAULT_FLAGS
    }
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
    args = build_parser().parse_args(argv)
    handlers = {"serve": serve, "change": change, "ground-truth": ground_truth}
    try:
        return handlers[args.command](args)
    except ValueError as exc:
        print(f"demo API: {exc}", file=sys.stderr)
        return 2
