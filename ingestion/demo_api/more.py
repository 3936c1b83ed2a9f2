"""The rest of the platform's API: alerts, action items, retrospectives and the catalogs.

:class:`MoreData` holds them beside a :class:`~dataset.Dataset`'s incidents. It is built the
first time one of them is asked for (a server that only serves incidents, such as the
benchmark's million-incident one, never pays for three million alerts), by generating the
base data and replaying the change batches applied so far. That is sound because these
resources are drawn from RNG streams of their own (``demo-api/more/<seed>/<batch>/...``) and
read only incident facts that never change once written (created_at, kind, severity, the
base resolution times, which rows a batch added): built late or early, they are the same
pure function of (seed, sizes, batches). Incidents and dashboards are not touched at all, so
they are served byte for byte as before these resources existed.

Deleting an incident deletes its action items and retrospective (they leave every list and
ground truth names their ids); the alerts that became it keep naming it.
"""

from __future__ import annotations

import random
from array import array
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from ingestion.demo_api.alerts import ALERTS_PER_INCIDENT, AlertTable, render_alert
from ingestion.demo_api.catalogs import CATALOGS, SINGULAR, CatalogState, render_entry
from ingestion.demo_api.followups import (
    ActionItemTable,
    PostMortemTable,
    render_action_item,
    render_post_mortem,
)
from ingestion.demo_api.incident_render import stable_uuid
from ingestion.demo_api.incident_table import IncidentTable
from ingestion.demo_api.ordering import IncidentOrdering
from ingestion.demo_api.timeutil import batch_time_ms

#: Every list endpoint this module serves (besides the nested action items of an incident).
MORE_LISTS: tuple[str, ...] = ("alerts", "action_items", "post_mortems", *CATALOGS)
#: The ground-truth key listing each resource's deleted ids (alerts are never deleted).
DELETED_KEYS: dict[str, str] = {
    "action_items": "deleted_action_item_ids",
    "post_mortems": "deleted_post_mortem_ids",
    **{name: f"deleted_{SINGULAR[name]}_ids" for name in CATALOGS},
}


def new_incident_rows(incidents: int, change_fraction: float, batch: int) -> range:
    """The incident rows change batch ``batch`` adds (``Dataset`` checks it agrees)."""
    per_batch = max(1, round(incidents * change_fraction / 5))
    first = incidents + (batch - 1) * per_batch
    return range(first, first + per_batch)


def record_id(kind: str, seed: int, row: int) -> str:
    """The id of an alert, action item or retrospective row (its rng's first draw)."""
    return stable_uuid(random.Random(f"demo-api/{kind}/{seed}/{row}"))


class MoreData:
    """Alerts, action items, retrospectives and catalogs after some change batches."""

    def __init__(
        self,
        seed: int,
        incidents: int,
        change_fraction: float,
        table: IncidentTable,
        base_resolved: Sequence[int],
        batches: int,
    ) -> None:
        self.seed = seed
        self.base_incidents = incidents
        self.change_fraction = change_fraction
        self.incident_table = table
        created = table.created[:incidents]
        self.alerts = AlertTable.generate(seed, ALERTS_PER_INCIDENT * incidents, created)
        self.action_items = ActionItemTable.generate(seed, table, incidents, base_resolved)
        self.post_mortems = PostMortemTable.generate(seed, table, incidents, base_resolved)
        self.base_action_items = len(self.action_items)
        self.base_post_mortems = len(self.post_mortems) + len(self.post_mortems.pending)
        self.catalogs = CatalogState()
        self.summaries: dict[int, dict[str, Any]] = {}
        self._alive: dict[str, tuple[tuple[int, int], array]] = {}
        for batch in range(1, batches + 1):
            self.apply_batch(batch)
        self.reindex()

    # ---------------------------------------------------------------- changes

    def apply_batch(self, batch: int, start_ms: int | None = None) -> dict[str, Any]:
        """Change batch ``batch`` of these resources (after the incidents' own batch).

        It starts at the batch's fixed hour, or at ``start_ms`` when live alert updates
        (in memory only) went past that hour.
        """
        seed, fraction = self.seed, self.change_fraction
        start = batch_time_ms(batch) if start_ms is None else start_ms

        def stream(name: str) -> random.Random:
            return random.Random(f"demo-api/more/{seed}/{batch}/{name}")

        rows = new_incident_rows(self.base_incidents, fraction, batch)
        created = self.incident_table.created
        alerts = self.alerts.apply_batch(stream("alerts"), start, fraction, rows, created)
        items = self.action_items.apply_batch(
            stream("action_items"),
            start,
            fraction,
            self.base_action_items,
            self.base_incidents,
            rows,
            created,
        )
        post_mortems = self.post_mortems.apply_batch(
            stream("post_mortems"),
            seed,
            start,
            fraction,
            self.base_post_mortems,
            self.incident_table,
        )
        catalogs = self.catalogs.apply_batch(stream("catalogs"), batch, start)

        def ids(kind: str, changed: dict[str, list[int]]) -> dict[str, list[str]]:
            return {what: [record_id(kind, seed, r) for r in rs] for what, rs in changed.items()}

        summary = {
            "batch": batch,
            "alerts": ids("alert", alerts),
            "action_items": ids("action-item", items),
            "post_mortems": ids("post-mortem", post_mortems),
            "catalogs": catalogs,
        }
        self.summaries[batch] = summary
        return summary

    def reindex(self) -> None:
        """Rebuild the alert sort indexes (after change batches)."""
        self.alert_ordering = IncidentOrdering(self.alerts)  # type: ignore[arg-type]
        self._alive.clear()

    # ---------------------------------------------------------------- reads

    def _alive_rows(self, name: str, incident_of: array) -> array:
        """Rows whose incident exists, in row order; cached until incidents are deleted."""
        deleted = self.incident_table.deleted
        key = (len(incident_of), self.incident_table.deleted_count)
        cached = self._alive.get(name)
        if cached is None or cached[0] != key:
            rows = array("q", [j for j, row in enumerate(incident_of) if not deleted[row]])
            cached = self._alive[name] = (key, rows)
        return cached[1]

    def order(self, resource: str) -> Sequence[Any]:
        """What a full scan of ``resource`` lists, in list order (rows or catalog entries)."""
        if resource == "action_items":
            return self._alive_rows(resource, self.action_items.incident)
        if resource == "post_mortems":
            return self._alive_rows(resource, self.post_mortems.incident)
        if resource == "alerts":
            return range(len(self.alerts))
        return self.catalogs.entries[resource]

    def renderer(self, resource: str) -> Callable[[Any], dict[str, Any]]:
        """Turns an element of :meth:`order` into its JSON:API record."""
        seed = self.seed
        if resource == "alerts":
            return lambda i: render_alert(seed, self.alerts, i)
        if resource == "action_items":
            return lambda j: render_action_item(seed, self.action_items, j)
        if resource == "post_mortems":
            table = self.incident_table
            return lambda k: render_post_mortem(seed, self.post_mortems, table, k)
        return render_entry

    def incident_action_items(self, row: int) -> list[int]:
        """The action item rows of incident ``row`` (an existing incident), in order."""
        return list(self.action_items.by_incident.get(row, ()))

    def iter_records(self, resource: str) -> Iterator[dict[str, Any]]:
        render = self.renderer(resource)
        for element in list(self.order(resource)):
            yield render(element)

    def deleted_ids(self, resource: str) -> list[str]:
        """Ids of the resource's records deleted so far (catalogs: in deletion order)."""
        if resource in CATALOGS:
            return list(self.catalogs.deleted[resource])
        table = self.action_items if resource == "action_items" else self.post_mortems
        kind = "action-item" if resource == "action_items" else "post-mortem"
        deleted = self.incident_table.deleted
        return [
            record_id(kind, self.seed, j) for j, row in enumerate(table.incident) if deleted[row]
        ]
