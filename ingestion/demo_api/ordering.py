"""Ordered views of the incidents, so one page costs O(page size + log n).

Sorting or filtering the whole collection on every request makes a full scan quadratic in
the collection size. Here the updated_at order (ties broken by sequential id) is built once
per data change; an updated_at/created_at range on the sort key is two bisections, and a
page is a slice of positions. Filters that cannot be bisected (status, kind, a range on a
field other than the sort key) are materialised once per distinct filter and cached until the
data changes, so the pages after the first one of a filtered scan are cheap too.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from ingestion.demo_api.incident_table import IncidentTable

SORT_FIELDS = ("sequential_id", "updated_at", "created_at")
_CACHE_SIZE = 32


@dataclass(frozen=True)
class Selection:
    """Which incidents a list request asks for, in which order (parsed query parameters)."""

    sort: str = "sequential_id"  # one of SORT_FIELDS
    descending: bool = False
    statuses: frozenset[int] | None = None
    kinds: frozenset[int] | None = None
    #: Half-open ``[lo, hi)`` epoch-ms ranges per field name (updated_at, created_at).
    ranges: tuple[tuple[str, int | None, int | None], ...] = ()


@dataclass
class View:
    """Incident indices in ascending sort order, with their sort keys when sorted by time."""

    ids: Sequence[int]
    keys: Sequence[int] | None


@dataclass(frozen=True)
class Window:
    """The selected run of positions ``[lo, hi)`` in a view, walked backwards if descending."""

    view: View
    lo: int
    hi: int
    descending: bool

    @property
    def total(self) -> int:
        return self.hi - self.lo

    def page(self, offset: int, size: int) -> list[int]:
        """Incident indices at positions ``offset .. offset + size`` of the selection."""
        count = max(0, min(size, self.total - offset))
        if count == 0:
            return []
        ids = self.view.ids
        if self.descending:
            top = self.hi - 1 - offset
            return [ids[top - k] for k in range(count)]
        start = self.lo + offset
        return list(ids[start : start + count])


class IncidentOrdering:
    """Sort indexes over an :class:`IncidentTable`; rebuild after every data change."""

    def __init__(self, table: IncidentTable) -> None:
        self.table = table
        n = len(table)
        self._base: dict[str, View] = {"sequential_id": View(range(n), None)}
        self._base["updated_at"] = _sorted_view(table.updated, n)
        created = table.created
        if all(created[k] <= created[k + 1] for k in range(n - 1)):
            # Created times rise with the sequential id: the identity order is already sorted.
            self._base["created_at"] = View(range(n), created)
        else:
            self._base["created_at"] = _sorted_view(created, n)
        self._cache: OrderedDict[tuple, View] = OrderedDict()

    def select(self, selection: Selection) -> Window:
        """The window of incidents matching ``selection``; O(log n) once its view is cached."""
        view = self._base[selection.sort]
        low: int | None = None
        high: int | None = None
        residual_ranges = []
        for name, lo, hi in selection.ranges:
            if name != selection.sort:
                residual_ranges.append((name, lo, hi))
                continue
            if lo is not None:
                low = lo if low is None else max(low, lo)
            if hi is not None:
                high = hi if high is None else min(high, hi)
        if selection.statuses is not None or selection.kinds is not None or residual_ranges:
            key = (selection.sort, selection.statuses, selection.kinds, tuple(residual_ranges))
            cached = self._cache.get(key)
            if cached is None:
                cached = self._filter(view, selection, residual_ranges)
                self._cache[key] = cached
                while len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
            else:
                self._cache.move_to_end(key)
            view = cached
        lo, hi = 0, len(view.ids)
        if view.keys is not None:
            if low is not None:
                lo = bisect_left(view.keys, low)
            if high is not None:
                hi = max(lo, bisect_left(view.keys, high))
        return Window(view, lo, hi, selection.descending)

    def _filter(self, view: View, selection: Selection, ranges: list) -> View:
        """Materialise the positions of ``view`` that pass the non-bisectable filters."""
        table = self.table
        positions: Sequence[int] = range(len(view.ids))
        ids = view.ids
        if selection.statuses is not None:
            status, wanted = table.status, selection.statuses
            positions = [p for p in positions if status[ids[p]] in wanted]
        if selection.kinds is not None:
            kind, wanted = table.kind, selection.kinds
            positions = [p for p in positions if kind[ids[p]] in wanted]
        for name, lo, hi in ranges:
            column = table.updated if name == "updated_at" else table.created
            low = lo if lo is not None else -(1 << 62)
            high = hi if hi is not None else 1 << 62
            positions = [p for p in positions if low <= column[ids[p]] < high]
        new_ids = array("q", [ids[p] for p in positions])
        keys = None if view.keys is None else array("q", [view.keys[p] for p in positions])
        return View(new_ids, keys)


def _sorted_view(column: array, n: int) -> View:
    """Indices ordered by (column value, index), built by sorting packed integers."""
    shift = max(n, 1).bit_length()
    mask = (1 << shift) - 1
    packed = sorted([(value << shift) | i for i, value in enumerate(column)])
    return View(array("q", [p & mask for p in packed]), array("q", [p >> shift for p in packed]))
