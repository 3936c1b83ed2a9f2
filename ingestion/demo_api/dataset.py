"""The demo data set: base data from the seed plus the change batches applied so far.

Everything here is a pure function of :class:`DataParams` and the number of batches applied:
replaying batches 1..k on the base data always gives the same records, which is what makes
``ground_truth`` checkable and lets a restarted server pick up persisted changes from a count.

Live updates (the ``churn_per_page`` fault: data that changes while a client pages) are the
one exception: they depend on how many pages were served, so they live in memory only and a
restarted server forgets them. They are still drawn from the seed and a counter, so the same
requests against the same server give the same data.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from ingestion.demo_api.catalog import SEVERITIES
from ingestion.demo_api.catalogs import CATALOGS
from ingestion.demo_api.dashboards import DashboardTable
from ingestion.demo_api.incident_render import incident_id, render_incident, severity_object
from ingestion.demo_api.incident_table import BATCH_WINDOW_MS, IncidentTable
from ingestion.demo_api.more import DELETED_KEYS, MORE_LISTS, MoreData, new_incident_rows
from ingestion.demo_api.ordering import IncidentOrdering, Selection, Window
from ingestion.demo_api.timeutil import batch_time_ms

DEFAULT_SEED = 42
DEFAULT_INCIDENTS = 500
DEFAULT_DASHBOARDS = 40
#: Share of incidents a change batch updates; new incidents are a fifth of that and deleted
#: ones a tenth (at least one of each).
DEFAULT_CHANGE_FRACTION = 0.01
#: A live update lands 1..this many ms after the latest updated_at in the data.
LIVE_STEP_MS = 1000


@dataclass(frozen=True)
class DataParams:
    """Everything the data depends on besides the number of change batches."""

    seed: int = DEFAULT_SEED
    incidents: int = DEFAULT_INCIDENTS
    dashboards: int = DEFAULT_DASHBOARDS
    change_fraction: float = DEFAULT_CHANGE_FRACTION

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class BatchSummary:
    """What one change batch did (returned by the CLI and ``POST /_demo/changes``)."""

    batch: int
    updated_incidents: int
    new_incidents: int
    status_changes: int
    deleted_dashboard_ids: list[str]
    edited_dashboard_ids: list[str]
    deleted_incidents: int
    deleted_incident_ids: list[str]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Dataset:
    """Incidents, dashboards and their sort indexes. ``lock`` guards reads against changes."""

    def __init__(self, params: DataParams, batches: int = 0) -> None:
        self.params = params
        self.lock = threading.RLock()
        self.incidents = IncidentTable.generate(params.seed, params.incidents)
        self.dashboards = DashboardTable(params.seed, params.dashboards)
        # The other resources read the base resolution times; batches may set later ones.
        self._base_resolved = self.incidents.resolved[:]
        self._more: MoreData | None = None  # built on first use, see the ``more`` property
        self._incident_rows: dict[str, int] = {}  # record id -> row, filled on first use
        self.batches_applied = 0
        self.deleted_dashboard_ids: list[str] = []
        self.deleted_incident_ids: list[str] = []
        self.live_updates = 0
        self.live_deletes = 0
        self.live_alert_updates = 0
        self._live_alert_high: int | None = None  # latest live alert update time, if any
        self._latest_updated: int | None = None  # max updated_at, cached for live updates
        self._live_high_water: int | None = None  # latest live update time, if any
        for _ in range(batches):
            self._apply_one()
        self._reindex()

    def _reindex(self) -> None:
        self.ordering = IncidentOrdering(self.incidents)
        self.dashboard_order = self.dashboards.alive()
        if self._more is not None:
            self._more.reindex()

    @property
    def more(self) -> MoreData:
        """Alerts, action items, retrospectives and catalogs, built on first use.

        Building replays the change batches applied so far (see :mod:`more`), so a server
        that never serves them never generates them.
        """
        with self.lock:
            if self._more is None:
                params = self.params
                self._more = MoreData(
                    params.seed,
                    params.incidents,
                    params.change_fraction,
                    self.incidents,
                    self._base_resolved,
                    self.batches_applied,
                )
            return self._more

    def apply_changes(self, count: int = 1) -> list[BatchSummary]:
        """Apply ``count`` more change batches and rebuild the indexes once."""
        with self.lock:
            summaries = [self._apply_one() for _ in range(count)]
            self._reindex()
        return summaries

    def _apply_one(self) -> BatchSummary:
        batch = self.batches_applied + 1
        rng = random.Random(f"demo-api/change/{self.params.seed}/{batch}")
        start = self._batch_start(batch)
        table = self.incidents
        alive = table.alive_count
        fraction = self.params.change_fraction
        chosen = sorted(_sample_alive(table, rng, max(1, round(alive * fraction)), set()))
        status_changes = 0
        for i in chosen:
            at = start + int(rng.random() * BATCH_WINDOW_MS)
            result = table.advance(i, at, rng.random())
            status_changes += result.old_status != result.new_status
        new = table.append_new(rng, max(1, round(self.params.incidents * fraction / 5)), start)
        assert new == new_incident_rows(self.params.incidents, fraction, batch)
        deleted, edited = self.dashboards.apply_batch(rng, start)
        self.deleted_dashboard_ids.extend(deleted)
        # A separate stream, so incident deletions do not reshuffle the dashboard changes.
        doomed_rng = random.Random(f"demo-api/change/{self.params.seed}/{batch}/deletions")
        wanted = max(1, round(alive * fraction / 10))
        doomed = sorted(_sample_alive(table, doomed_rng, wanted, {*chosen, *new}))
        doomed_ids = [self._delete(i) for i in doomed]
        self._latest_updated = None
        self.batches_applied = batch
        if self._more is not None:
            high = self._live_alert_high
            fixed = batch_time_ms(batch)
            self._more.apply_batch(batch, fixed if high is None else max(fixed, high + 1))
        return BatchSummary(
            batch, len(chosen), len(new), status_changes, deleted, edited, len(doomed), doomed_ids
        )

    def _batch_start(self, batch: int) -> int:
        """Batch ``batch``'s start time: its fixed hour, or after the live updates if later.

        Without live updates (replays, the CLI) this is always the fixed hour, so batches
        stay a pure function of the count; after a burst of live updates it keeps every
        incident's timestamps in lifecycle order.
        """
        fixed = batch_time_ms(batch)
        high = self._live_high_water
        return fixed if high is None else max(fixed, high + 1)

    def _delete(self, i: int) -> str:
        """Delete incident ``i`` from the table and remember its id for ground truth."""
        self.incidents.delete(i)
        record_id = incident_id(self.params.seed, i)
        self.deleted_incident_ids.append(record_id)
        return record_id

    # ------------------------------------------------------------------ live updates

    def apply_live_updates(self, count: int, delete_share: float) -> None:
        """Apply ``count`` live updates now, patching the sort indexes in place.

        Each one advances a random existing incident one lifecycle step at a time later than
        every updated_at in the data (so it moves to the end of the updated_at order), or
        deletes it with probability ``delete_share``. Cost per update: O(log n) plus one
        array memmove per index (see :mod:`ordering`); cached filter views are rebuilt lazily.
        """
        with self.lock:
            for _ in range(count):
                self._live_one(delete_share)

    def _live_one(self, delete_share: float) -> None:
        table = self.incidents
        if table.alive_count == 0:
            return
        counter = self.live_updates + self.live_deletes
        rng = random.Random(f"demo-api/live/{self.params.seed}/{counter}")
        (i,) = _sample_alive(table, rng, 1, set())
        if rng.random() < delete_share:
            self._delete(i)
            self.ordering.deleted(i)
            self.live_deletes += 1
            return
        at = self._latest() + rng.randint(1, LIVE_STEP_MS)
        old_updated = table.updated[i]
        table.advance(i, at, rng.random())
        self.ordering.updated(i, old_updated)
        self._latest_updated = self._live_high_water = at
        self.live_updates += 1

    def apply_live_alert_updates(self, count: int) -> None:
        """Apply ``count`` live alert updates now (``churn_per_page`` on alerts).

        Each one moves a random alert one lifecycle step (``AlertTable.advance``) at a time
        later than every alert's updated_at, and patches the alerts' sort index in place.
        Alerts are never deleted. A later change batch starts after these updates.
        """
        with self.lock:
            more = self.more
            table = more.alerts
            if not len(table):
                return
            latest = max(table.updated)
            for _ in range(count):
                key = f"demo-api/live-alert/{self.params.seed}/{self.live_alert_updates}"
                rng = random.Random(key)
                i = rng.randrange(len(table))
                latest += rng.randint(1, LIVE_STEP_MS)
                old_updated = table.updated[i]
                table.advance(i, latest, rng.random())
                more.alert_ordering.updated(i, old_updated)
                self.live_alert_updates += 1
            self._live_alert_high = latest

    def _latest(self) -> int:
        """The latest updated_at of any incident (deleted ones too), cached between changes."""
        if self._latest_updated is None:
            self._latest_updated = max(self.incidents.updated, default=0)
        return self._latest_updated

    # ------------------------------------------------------------------ reads

    def select_incidents(self, selection: Selection) -> Window:
        return self.ordering.select(selection)

    def render_incident(self, i: int) -> dict[str, Any]:
        return render_incident(self.params.seed, self.incidents, i)

    def render_dashboard(self, j: int) -> dict[str, Any]:
        return self.dashboards.render(j)

    def iter_incidents(self) -> Iterator[dict[str, Any]]:
        """Every existing incident as served, by sequential id (a generator: fine for 1M)."""
        deleted = self.incidents.deleted
        for i in range(len(self.incidents)):
            if not deleted[i]:
                yield self.render_incident(i)

    def iter_dashboards(self) -> Iterator[dict[str, Any]]:
        """Every existing dashboard as served, in list order."""
        for j in list(self.dashboard_order):
            yield self.render_dashboard(j)

    def find_incident(self, record_id: str) -> int | None:
        """The row of the existing incident with this id, or None (unknown or deleted).

        The id -> row map is built on first use (a few µs per incident) and extended as
        change batches add incidents.
        """
        with self.lock:
            rows = self._incident_rows
            for i in range(len(rows), len(self.incidents)):
                rows[incident_id(self.params.seed, i)] = i
            row = rows.get(record_id)
            return None if row is None or self.incidents.deleted[row] else row

    def ground_truth(self) -> dict[str, Any]:
        """The full current data set in one dict (small data sets; see ``write_ground_truth``).

        Incidents, dashboards and their deleted ids first; then severities, alerts, action
        items, retrospectives and each catalog, and the deleted ids of each resource that
        has deletions (``more.DELETED_KEYS``).
        """
        with self.lock:
            truth: dict[str, Any] = {
                "incidents": list(self.iter_incidents()),
                "dashboards": list(self.iter_dashboards()),
                "deleted_dashboard_ids": list(self.deleted_dashboard_ids),
                "deleted_incident_ids": list(self.deleted_incident_ids),
            }
            for key, value in self._iter_more_truth():
                truth[key] = list(value)
            return truth

    def _iter_more_truth(self) -> Iterator[tuple[str, Iterator[Any]]]:
        """(key, items) of the ground truth beyond incidents and dashboards, in key order."""
        more = self.more
        yield "severities", (severity_object(code)["data"] for code in range(len(SEVERITIES)))
        for resource in MORE_LISTS:
            yield resource, more.iter_records(resource)
        for resource in ("action_items", "post_mortems", *CATALOGS):
            yield DELETED_KEYS[resource], iter(more.deleted_ids(resource))

    def iter_ground_truth_json(self) -> Iterator[str]:
        """The ground truth as JSON text chunks, streamed record by record."""
        import json

        def dumps(obj: Any) -> str:
            return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))

        with self.lock:
            yield '{"incidents":['
            for k, record in enumerate(self.iter_incidents()):
                yield ("," if k else "") + dumps(record)
            yield '],"dashboards":['
            for k, record in enumerate(self.iter_dashboards()):
                yield ("," if k else "") + dumps(record)
            yield '],"deleted_dashboard_ids":' + dumps(self.deleted_dashboard_ids)
            yield ',"deleted_incident_ids":' + dumps(self.deleted_incident_ids)
            for key, items in self._iter_more_truth():
                yield f',"{key}":['
                for k, item in enumerate(items):
                    yield ("," if k else "") + dumps(item)
                yield "]"
            yield "}"


def _sample_alive(
    table: IncidentTable, rng: random.Random, count: int, exclude: set[int]
) -> set[int]:
    """Up to ``count`` distinct random incidents that are not deleted and not in ``exclude``.

    Rejection sampling over all rows costs O(count) while deletions stay a small share,
    where listing the living rows first would cost O(n) per change batch.
    """
    n = len(table)
    deleted = table.deleted
    available = table.alive_count - sum(1 for i in exclude if i < n and not deleted[i])
    wanted = min(count, available)
    picked: set[int] = set()
    while len(picked) < wanted:
        i = rng.randrange(n)
        if not deleted[i] and i not in exclude:
            picked.add(i)
    return picked
