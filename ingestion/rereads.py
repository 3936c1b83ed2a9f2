"""Records the sync's lag window reads again, unchanged, are not loaded again.

The incidents and alerts syncs start `lag_seconds` before their cursor, so that a record
updated in the same second as the last run's newest one is not missed. Every record in that
window was loaded by an earlier run, so in an hour in which nothing changed the whole window
comes back as it was, and loading it again means a merge into tables of millions of rows and
a check of their child tables for orphans (`arrow_pages.prune_orphans`): most of a quiet
hour's load at 1,000,000 incidents, to write what raw already holds.

So each of those resources remembers, in its dlt resource state, a fingerprint of the
records it passed near its cursor: id -> [`updated_at`, hash of the record as it is
loaded], for every record within `lag_seconds` of the newest `updated_at` it has seen. A
record read again with the same fingerprint is dropped before it is loaded. A record
changed within the same second (same `updated_at`, other content) has another hash and is
loaded; so is any record the fingerprints do not hold. A record read twice in one run
(updated while the run paged past it) is merged as its version with the later
`updated_at` (the `dedup_sort` hint in `ingestion.source`), and that is the fingerprint
kept; two versions with the same `updated_at` in one run keep none that could match.

The fingerprints are dlt state, so they travel in the load package with the rows and move
exactly as the cursor does: kept by the warehouse (`bind_state_to_warehouse`), wiped with
the resource by a full refresh, wiped with the warehouse. A run whose dbt build fails
rewinds its cursor (`cursors.rewind_cursors`); the next run re-reads those rows and drops
the ones it loaded unchanged, which raw holds already. A backfill re-reads its range in
full.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import dlt
import orjson

from ingestion.paging import parse_instant
from ingestion.records import UTC_TEXT

STATE_KEY = "reread_fingerprints"  # in the resource's dlt state: id -> [updated_at, hash]
PRUNE_AT = 1000  # fingerprints held before those older than the window are let go


def record_hash(record: dict[str, Any]) -> str:
    """A short hash of the whole record, independent of key order."""
    return hashlib.blake2b(
        orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=8
    ).hexdigest()


def dlt_resource_state(resource: str) -> dict[str, Any]:
    """The resource's dlt state: only there while the pipeline extracts."""
    return dlt.current.resource_state(resource)


class ReReads:
    """One run's filters over the lag window; `dropped` counts the records per resource.

    `state` gives a resource's state dict (dlt's, unless a test hands in its own).
    """

    def __init__(
        self,
        lag_seconds: float,
        state: Callable[[str], dict[str, Any]] = dlt_resource_state,
    ) -> None:
        self.lag = timedelta(seconds=lag_seconds)
        self.state = state
        self.dropped: Counter[str] = Counter()

    def unchanged_dropped(self, resource: str) -> Callable[[dict], bool]:
        """A `processing_steps` filter for `resource` (after `utc_cursor`, so `updated_at`
        is in the one UTC text form): false for a record as it was last loaded."""
        window: dict[str, list[str]] | None = None
        this_run: set[str] = set()  # ids whose fingerprint this run wrote (all in `window`)
        newest = ""
        keep_from = ""  # fingerprints older than this are outside the window
        limit = PRUNE_AT

        def keep(record: dict) -> bool:
            nonlocal window, newest, keep_from, limit
            key = record.get("id") if isinstance(record, dict) else None
            attributes = record.get("attributes") if isinstance(record, dict) else None
            updated = attributes.get("updated_at") if isinstance(attributes, dict) else None
            if key is None or not isinstance(updated, str):  # the record check names it
                return True
            if window is None:  # read at the first record: dlt's state exists only then
                window = self.state(resource).setdefault(STATE_KEY, {})
            key = str(key)
            fingerprint = [updated, record_hash(record)]
            stored = window.get(key)
            unchanged = stored == fingerprint
            newest = max(newest, updated)
            if key in this_run and stored is not None:
                # read twice in this run: the merge keeps the later `updated_at`; of two
                # versions with the same one it keeps either, so neither may be trusted
                if updated == stored[0] and not unchanged:
                    window[key] = [updated, ""]
                elif updated > stored[0]:
                    window[key] = fingerprint
            elif updated >= keep_from:
                window[key] = fingerprint
                this_run.add(key)
            if len(window) > limit:
                keep_from = self._window_start(newest)
                for old in [k for k, (at, _) in window.items() if at < keep_from]:
                    del window[old]
                    this_run.discard(old)
                limit = max(PRUNE_AT, 2 * len(window))
            if unchanged:
                self.dropped[resource] += 1
            return not unchanged

        return keep

    def _window_start(self, newest: str) -> str:
        moment = parse_instant(newest)
        return "" if moment is None else (moment - self.lag).strftime(UTC_TEXT)
