"""Ordered views of the incidents, so one page costs O(page size + log n).

Sorting or filtering the whole collection on every request makes a full scan quadratic in
the collection size. Here the updated_at order (ties broken by sequential id) is built once
per data change; an updated_at/created_at range on the sort key is two bisections, and a
page is a slice of positions. Filters that cannot be bisected (status, kind, a range on a
field other than the sort key) are materialised once per distinct filter and cached until the
data changes, so the pages after the first one of a filtered scan are cheap too.

Every view is ordered by (sort key, index), so a keyset cursor (the sort key and sequential
id of the last record a client saw) is also found by bisection: cursor paging costs the same
O(page size + log n) as offset paging, in both directions and for every sort.

Deleted incidents are left out of every view. A live change (one incident updated or
deleted while clients page) patches the three base views in place instead of rebuilding them:
one bisection and one ``array`` insert/pop each, an O(n) memmove that takes well under a
millisecond at a million incidents, against seconds for a full re-sort. Cached filter views
are dropped instead and rebuilt by the next filtered request (O(n) once per change).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress
from operator import not_

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
    """Incident indices in ascending (key, index) order, with their keys when sorted by time.

    Without ``keys`` the order is by index alone (the sequential_id order) and the index is
    the key. A ``borrowed`` view shares storage (a ``range``, a table column) that must not
    be mutated; :meth:`own` copies it before the first in-place change.
    """

    ids: Sequence[int]
    keys: Sequence[int] | None
    borrowed: bool = False

    def position(self, key: int, index: int, right: bool) -> int:
        """First position whose (key, index) is > (right) or >= (not right) the given one."""
        find = bisect_right if right else bisect_left
        if self.keys is None:
            return find(self.ids, index)
        lo = bisect_left(self.keys, key)
        hi = bisect_right(self.keys, key, lo)
        return find(self.ids, index, lo, hi)

    def own(self) -> None:
        """Replace borrowed storage (a range, a table column) by private arrays."""
        if self.borrowed:
            self.ids = array("q", self.ids)
            self.keys = None if self.keys is None else array("q", self.keys)
            self.borrowed = False

    def discard(self, key: int, index: int) -> None:
        """Remove (key, index) if present: one bisection and one memmove."""
        p = self.position(key, index, right=False)
        if p < len(self.ids) and self.ids[p] == index:
            self.own()
            self.ids.pop(p)  # type: ignore[attr-defined]
            if self.keys is not None:
                self.keys.pop(p)  # type: ignore[attr-defined]

    def insert(self, key: int, index: int) -> None:
        """Insert (key, index) at its place in the order."""
        self.own()
        p = self.position(key, index, right=False)
        self.ids.insert(p, index)  # type: ignore[attr-defined]
        if self.keys is not None:
            self.keys.insert(p, key)  # type: ignore[attr-defined]


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

    def offset_after(self, key: int, index: int) -> int:
        """Offset (in walking order) of the first record strictly after (key, index).

        The cursor record itself need not be in the window any more (it may have been
        updated, deleted or filtered out): bisection finds its place either way, O(log n).
        """
        if self.descending:
            q = min(max(self.view.position(key, index, right=False), self.lo), self.hi)
            return self.hi - q
        p = min(max(self.view.position(key, index, right=True), self.lo), self.hi)
        return p - self.lo


class IncidentOrdering:
    """Sort indexes over an :class:`IncidentTable`; rebuild after every change batch."""

    def __init__(self, table: IncidentTable) -> None:
        self.table = table
        n = len(table)
        alive: Sequence[int] = range(n)
        deleted = table.deleted if table.deleted_count else None
        if deleted is not None:
            alive = array("q", compress(range(n), map(not_, deleted)))
        self._base: dict[str, View] = {"sequential_id": View(alive, None, borrowed=True)}
        self._base["updated_at"] = _sorted_view(table.updated, deleted)
        created = table.created
        if all(created[k] <= created[k + 1] for k in range(n - 1)):
            # Created times rise with the sequential id: the identity order is already sorted.
            keys = created if deleted is None else array("q", [created[i] for i in alive])
            self._base["created_at"] = View(alive, keys, borrowed=True)
        else:
            self._base["created_at"] = _sorted_view(created, deleted)
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

    def cursor_key(self, sort: str, index: int) -> int:
        """The sort key value a cursor records for incident ``index``.

        For the sequential_id order that is the sequential id itself; views ordered by index
        alone ignore the key when positioning, so it only makes the cursor readable.
        """
        return index + 1 if sort == "sequential_id" else _key_of(self.table, sort, index)

    # ---------------------------------------------------------------- live changes

    def updated(self, index: int, old_updated: int) -> None:
        """Incident ``index`` changed (status, updated_at): move it in the updated_at order.

        Call after the table row changed. Created_at and sequential order do not move.
        """
        view = self._base["updated_at"]
        view.discard(old_updated, index)
        view.insert(self.table.updated[index], index)
        self._cache.clear()

    def deleted(self, index: int) -> None:
        """Incident ``index`` was deleted: take it out of every view."""
        for sort, view in self._base.items():
            view.discard(_key_of(self.table, sort, index), index)
        self._cache.clear()

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


def _key_of(table: IncidentTable, sort: str, index: int) -> int:
    """Incident ``index``'s current key in the ``sort`` order (the index for sequential_id)."""
    if sort == "updated_at":
        return table.updated[index]
    if sort == "created_at":
        return table.created[index]
    return index


def _sorted_view(column: array, deleted: array | None) -> View:
    """Indices of rows not deleted, ordered by (column value, index) via packed integers."""
    n = len(column)
    shift = max(n, 1).bit_length()
    mask = (1 << shift) - 1
    rows = enumerate(column)
    if deleted is not None:
        rows = compress(rows, map(not_, deleted))
    packed = sorted([(value << shift) | i for i, value in rows])
    return View(array("q", [p & mask for p in packed]), array("q", [p >> shift for p in packed]))
