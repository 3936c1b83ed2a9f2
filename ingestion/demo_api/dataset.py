"""The demo data set: base data from the seed plus the change batches applied so far.

Everything here is a pure function of :class:`DataParams` and the number of batches applied:
replaying batches 1..k on the base data always gives the same records, which is what makes
``ground_truth`` checkable and lets a restarted server pick up persisted changes from a count.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from ingestion.demo_api.dashboards import DashboardTable
from ingestion.demo_api.incident_render import render_incident
from ingestion.demo_api.incident_table import BATCH_WINDOW_MS, IncidentTable
from ingestion.demo_api.ordering import IncidentOrdering, Selection, Window
from ingestion.demo_api.timeutil import batch_time_ms

DEFAULT_SEED = 42
DEFAULT_INCIDENTS = 500
DEFAULT_DASHBOARDS = 40
#: Share of incidents a change batch updates; new incidents are a fifth of that.
DEFAULT_CHANGE_FRACTION = 0.01


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Dataset:
    """Incidents, dashboards and their sort indexes. ``lock`` guards reads against changes."""

    def __init__(self, params: DataParams, batches: int = 0) -> None:
        self.params = params
        self.lock = threading.RLock()
        self.incidents = IncidentTable.generate(params.seed, params.incidents)
        self.dashboards = DashboardTable(params.seed, params.dashboards)
        self.batches_applied = 0
        self.deleted_dashboard_ids: list[str] = []
        for _ in range(batches):
            self._apply_one()
        self._reindex()

    def _reindex(self) -> None:
        self.ordering = IncidentOrdering(self.incidents)
        self.dashboard_order = self.dashboards.alive()

    def apply_changes(self, count: int = 1) -> list[BatchSummary]:
        """Apply ``count`` more change batches and rebuild the indexes once."""
        with self.lock:
            summaries = [self._apply_one() for _ in range(count)]
            self._reindex()
        return summaries

    def _apply_one(self) -> BatchSummary:
        batch = self.batches_applied + 1
        rng = random.Random(f"demo-api/change/{self.params.seed}/{batch}")
        start = batch_time_ms(batch)
        table = self.incidents
        n = len(table)
        fraction = self.params.change_fraction
        chosen = sorted(rng.sample(range(n), min(n, max(1, round(n * fraction))))) if n else []
        status_changes = 0
        for i in chosen:
            at = start + int(rng.random() * BATCH_WINDOW_MS)
            result = table.advance(i, at, rng.random())
            status_changes += result.old_status != result.new_status
        new = table.append_new(rng, max(1, round(self.params.incidents * fraction / 5)), start)
        deleted, edited = self.dashboards.apply_batch(rng, start)
        self.deleted_dashboard_ids.extend(deleted)
        self.batches_applied = batch
        return BatchSummary(batch, len(chosen), len(new), status_changes, deleted, edited)

    # ------------------------------------------------------------------ reads

    def select_incidents(self, selection: Selection) -> Window:
        return self.ordering.select(selection)

    def render_incident(self, i: int) -> dict[str, Any]:
        return render_incident(self.params.seed, self.incidents, i)

    def render_dashboard(self, j: int) -> dict[str, Any]:
        return self.dashboards.render(j)

    def iter_incidents(self) -> Iterator[dict[str, Any]]:
        """Every incident as served, by sequential id (a generator: fine for 1M records)."""
        for i in range(len(self.incidents)):
            yield self.render_incident(i)

    def iter_dashboards(self) -> Iterator[dict[str, Any]]:
        """Every existing dashboard as served, in list order."""
        for j in list(self.dashboard_order):
            yield self.render_dashboard(j)

    def ground_truth(self) -> dict[str, Any]:
        """The full current data set in one dict (small data sets; see ``write_ground_truth``)."""
        with self.lock:
            return {
                "incidents": list(self.iter_incidents()),
                "dashboards": list(self.iter_dashboards()),
                "deleted_dashboard_ids": list(self.deleted_dashboard_ids),
            }

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
            yield '],"deleted_dashboard_ids":' + dumps(self.deleted_dashboard_ids) + "}"
