"""API → extracted load package, in a child process of its own.

Why a process: reading the API parses every page into Python objects, and CPython keeps
the memory they were spread over long after they are gone (its small-object arenas are
returned only when empty). At 1,000,000 incidents the ELT process still held ~500 MiB after
the extract, through the load (beside DuckDB's cap) and while dbt ran (beside dbt's own
process), which put the run over its 1 GiB ceiling. A child that extracts and exits takes
that memory with it; normalize, load, dbt and publish run in the parent as before.

The child gets the resolved settings and the run's options, and builds everything that
talks to the API itself (the token comes from dlt's secrets there too, never over the
pipe). dlt's extract commits the package, its schema and its state to the pipeline's
working folder; the parent reads them back from there (`run._ingest` makes a fresh
pipeline object). What the summary needs comes back as `Extracted`; a failure comes back
as its one-line explanation, since not every exception of dlt or requests can be pickled.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import signal
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import dlt

from ingestion.api_endpoint import api_endpoint, retry_policy
from ingestion.deletions import DeletionCheck, check_due, last_checked, read_known
from ingestion.errors import ExtractError, explain
from ingestion.full_scans import ScanRepeats
from ingestion.http import ApiSession
from ingestion.load import Scan, extract, loader_file_format, make_pipeline
from ingestion.rereads import ReReads
from ingestion.run_options import RunOptions
from ingestion.settings import SOURCE_NAME, Settings
from ingestion.source import analytics_api_source, deletion_listing_params
from ingestion.summary import per_resource

PR_SET_PDEATHSIG = 1  # linux/prctl.h


@dataclass(frozen=True)
class Extracted:
    """What the extract reports to the run; nothing here refers to a parsed record."""

    base_url: str
    scan: Scan
    pages: dict[str, int]
    http: dict[str, Any]
    repeated: dict[str, int]
    reread_unchanged: dict[str, int]
    deletions: dict[str, Any]  # the deletion check's summary; empty when none was due


def extract_in_child(
    settings: Settings, options: RunOptions, skipped_scans: list[str]
) -> Extracted:
    """Run `extract_api` in a fresh (spawned) Python process and wait for its report."""
    context = multiprocessing.get_context("spawn")  # no fork: the parent may hold threads
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child_main,
        args=(sender, settings, options, skipped_scans),
        name="elt-extract",
    )
    child.start()
    sender.close()  # the child holds the only sending end: EOF once it is gone
    try:
        outcome = receiver.recv()
    except EOFError:
        outcome = None
    except BaseException:  # interrupted: the extract must not go on without the run
        child.terminate()
        raise
    finally:
        receiver.close()
        child.join()
    if isinstance(outcome, Extracted):
        return outcome
    if isinstance(outcome, str):
        raise ExtractError(outcome)
    raise ExtractError(
        f"the extract process ended without a result (exit code {child.exitcode}: killed,"
        " or out of memory?); nothing was loaded: rerun"
    )


def _child_main(sender: Any, settings: Settings, options: RunOptions, skipped: list[str]) -> None:
    """The child's entry point: extract, send the report (or the failure's one line)."""
    _die_with_parent()
    try:
        outcome: Extracted | str = extract_api(settings, options, skipped)
    except KeyboardInterrupt:  # Ctrl-C reaches both processes: the parent reports it
        return
    except Exception as exc:  # explained here: the exception itself may not pickle
        outcome = explain(exc, settings.warehouse)
    sender.send(outcome)
    sender.close()


def _die_with_parent() -> None:
    """Have the kernel SIGKILL this process when its parent dies (a SIGKILLed run must not
    leave an orphan that goes on writing to the pipeline's folder). Linux only."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


def extract_api(settings: Settings, options: RunOptions, skipped_scans: list[str]) -> Extracted:
    """The API → one extracted load package in the pipeline's folder (in whichever process
    calls it: the run calls it in a child, through `extract_in_child`)."""
    pipeline = make_pipeline(settings)
    deletion_check = plan_deletion_check(pipeline, settings, options)
    repeats = ScanRepeats()
    rereads = ReReads(settings.lag_seconds)
    with api_endpoint(settings) as (base_url, token):
        session = ApiSession(base_url, retry_policy(settings))
        source = analytics_api_source(
            settings,
            base_url,
            token,
            session,
            list(options.extra_resources),
            options.backfill,
            deletion_check,
            skipped_scans,
            repeats,
            rereads,
        )
        scan = extract(pipeline, source, options.full_refresh, loader_file_format(settings))
    return Extracted(
        base_url=base_url,
        scan=scan,
        pages=per_resource(session.stats.requests),
        http=session.stats.as_dict(),
        repeated=dict(repeats.repeats),
        reread_unchanged=dict(rereads.dropped),
        deletions=deletion_check.summary() if deletion_check else {},
    )


def plan_deletion_check(
    pipeline: dlt.Pipeline, settings: Settings, options: RunOptions
) -> DeletionCheck | None:
    """This run's deletion check, when the cadence (or the run's flag) says it is due.

    The incident ids the warehouse holds are read now, before anything loads; a full
    refresh starts from an empty warehouse, where nothing can have been deleted.
    """
    if options.backfill:
        return None
    now = datetime.now(UTC)
    checked = None if options.full_refresh else last_checked(pipeline.state, SOURCE_NAME)
    if not check_due(checked, settings.deletion_check_hours, now, options.check_deletions):
        return None
    known: set[str] = set()
    previously: dict[str, datetime] = {}
    if not options.full_refresh and pipeline.default_schema_name:
        with pipeline.sql_client() as client:
            known, previously = read_known(client)
    return DeletionCheck(deletion_listing_params(settings), known, previously, now)
