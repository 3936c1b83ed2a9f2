"""A full scan that read exactly what the last loaded one read is not normalized or loaded.

Dashboards, the catalogs, action items and retrospectives have no `updated_at` filter, so
every run lists them whole and dlt's scd2 merge compares every row with what raw holds.
When nothing changed upstream that comparison finds nothing, yet normalizing and merging
tens of thousands of records costs most of a quiet hour (165,000 action items at the
medium scale). So, between extract and normalize, each full-scan table's extracted files
are fingerprinted (the sum of their lines' hashes, so a page served in another order still
matches); a table whose fingerprint equals the one recorded when it was last loaded into
this warehouse has its files dropped from the package. Skipping it is exactly what the merge
would have done: scd2 adds a version only for a changed record and retires only a vanished
one, and an identical scan has neither.

The fingerprints live in the warehouse (`ops.full_scan_digests`), written only after the
load that carried them succeeded, so they describe what raw holds: a new or replaced
warehouse, or a load that failed, makes the next run load the scan in full.

The same table keeps when each scan last loaded (`scanned_at`). That is what the full-scan
cadence (`sources.analytics_api.full_scan_hours`, default 0 = every run) reads: the catalogs,
action items and retrospectives are then listed only when their last loaded scan is older
than the cadence (or the run asks, `--full-scans`). A scan not due is not selected at all, so
its tables are untouched (scd2 retires a record only when a scan that ran lacks it); a scan
that fails to load leaves its `scanned_at` as it was, so the next run reads it again.
Dashboards are not on the cadence: their scan is the only way to see a dashboard change.

A scan pages by offset, so a record added ahead of the current page while the scan runs
pushes the records after it one place down, and the next page lists again the record that
ended the last one. scd2 would load both copies as two current versions of one record (dlt
deduplicates by primary key for the `merge` of incidents and alerts, not for scd2). So each
scan passes its records through `ScanRepeats`, which keeps the first copy of an id and drops
a copy listed again within the next `REPEAT_WINDOW` records. A repeat comes from records
added ahead of it between two page reads, so it turns up on the next page; to turn up more
than `REPEAT_WINDOW` records later, that many would have to be added within a few page
reads, a rate at which an offset scan would never reach its end. The window keeps memory
flat (a set of every id was ~250 MB at 1,000,000 incidents; a window is a few MB, so it
needs no releasing after extract); and should a repeat ever slip
through, the staging models still read one latest version per id.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from collections import Counter, deque
from collections.abc import Callable, Iterator
from datetime import datetime

import dlt

from ingestion.deletions import check_due
from ingestion.dlt_internals import extracted_table_files
from ingestion.runs import LEDGER_SCHEMA

DIGEST_TABLE = f"{LEDGER_SCHEMA}.full_scan_digests"
REPEAT_WINDOW = 5000  # ids remembered per scan: 50 pages of 100


class ScanRepeats:
    """The ids each full scan of one run has yielded, to drop a record listed twice.

    The first copy is kept: the scan is a read over time either way, and the next scan
    loads whatever changed since. `repeats` counts the dropped copies per resource.
    Only the last `window` ids of each scan are remembered (see the module docstring).
    """

    def __init__(self, window: int = REPEAT_WINDOW) -> None:
        self.window = window
        self._seen: dict[str, tuple[set[str], deque[str]]] = {}
        self.repeats: Counter[str] = Counter()

    def first_sighting(self, resource: str) -> Callable[[dict], bool]:
        """A `processing_steps` filter for `resource`: false for an id among the last
        `window` ids it passed."""
        seen, order = self._seen.setdefault(resource, (set(), deque()))

        def keep(record: dict) -> bool:
            key = record.get("id") if isinstance(record, dict) else None
            if key is None:  # the record check names the problem
                return True
            if key in seen:
                self.repeats[resource] += 1
                return False
            seen.add(key)
            order.append(key)
            if len(order) > self.window:
                seen.discard(order.popleft())
            return True

        return keep


def file_lines(path: str) -> Iterator[bytes]:
    """The lines of an extracted job file (dlt may gzip them), one at a time."""
    with open(path, "rb") as handle:
        packed = handle.read(2) == b"\x1f\x8b"
    with (gzip.open if packed else open)(path, "rb") as handle:
        for line in handle:
            yield line.rstrip(b"\n")


def scan_digest(paths: list[str]) -> str:
    """One digest of a table's extracted files, independent of page and file order: the sum
    of the lines' hashes, streamed (a scan of millions of records is never held at once)."""
    total = 0
    for path in paths:
        for line in file_lines(path):
            total += int.from_bytes(hashlib.sha256(line).digest(), "big")
    return f"{total % 2**256:064x}"


def _ensure_table(client) -> None:
    """The digest table, also in a warehouse from before the cadence (whose scans then
    start with no `scanned_at`: every one due)."""
    client.execute_sql(f"create schema if not exists {LEDGER_SCHEMA}")
    client.execute_sql(
        f"create table if not exists {DIGEST_TABLE}"
        " (table_name varchar primary key, digest varchar, scanned_at varchar)"
    )
    client.execute_sql(f"alter table {DIGEST_TABLE} add column if not exists scanned_at varchar")


def _stored(pipeline: dlt.Pipeline) -> list[tuple[str, str | None, str | None]]:
    """(table, digest, scanned_at) of every scan loaded into this warehouse."""
    with pipeline.sql_client() as client:
        _ensure_table(client)
        rows = client.execute_sql(f"select table_name, digest, scanned_at from {DIGEST_TABLE}")
    return [(table, digest, scanned_at) for table, digest, scanned_at in rows]


def stored_digests(pipeline: dlt.Pipeline) -> dict[str, str]:
    """table -> the fingerprint of its scan last loaded into this warehouse."""
    return {table: digest for table, digest, _ in _stored(pipeline) if digest is not None}


def last_scanned(pipeline: dlt.Pipeline) -> dict[str, str]:
    """table -> when its scan last loaded into this warehouse (ISO 8601, UTC); empty before
    the first load."""
    if not pipeline.default_schema_name:  # nothing loaded yet, maybe no dataset either
        return {}
    return {table: when for table, _, when in _stored(pipeline) if when is not None}


def scans_not_due(
    scanned: dict[str, str], tables: list[str], every_hours: float, now: datetime
) -> list[str]:
    """The tables of `tables` whose last loaded scan is younger than the cadence (0: none)."""
    return [table for table in tables if not check_due(scanned.get(table), every_hours, now)]


def drop_unchanged_scans(
    pipeline: dlt.Pipeline, tables: list[str]
) -> tuple[list[str], dict[str, str]]:
    """Drop the extracted files of every table in `tables` whose scan is unchanged.

    Returns the tables dropped, and the fingerprints of the scans that stay in the package
    (to record once they are loaded).
    """
    files = extracted_table_files(pipeline)
    scanned = {table: scan_digest(files[table]) for table in tables if table in files}
    if not scanned:
        return [], {}
    stored = stored_digests(pipeline)
    unchanged, changed = [], {}
    for table, digest in sorted(scanned.items()):
        if stored.get(table) == digest:
            for path in files[table]:
                os.remove(path)
            unchanged.append(table)
        else:
            changed[table] = digest
    return unchanged, changed


def record_scans(
    pipeline: dlt.Pipeline, digests: dict[str, str], scanned: list[str], now: datetime
) -> None:
    """After a successful load: the changed scans (`digests`) are what raw now holds, and
    every table in `scanned` was read whole at `now` (an unchanged scan keeps its digest)."""
    if not digests and not scanned:
        return
    when = now.isoformat()
    with pipeline.sql_client() as client:
        _ensure_table(client)  # a first run that is a full refresh never read the table
        for table in sorted(set(scanned) | set(digests)):
            client.execute_sql(
                f"insert into {DIGEST_TABLE} as d (table_name, digest, scanned_at)"
                " values (%s, %s, %s) on conflict (table_name) do update"
                " set digest = coalesce(excluded.digest, d.digest),"
                " scanned_at = excluded.scanned_at",
                table,
                digests.get(table),
                when,
            )
