"""Compact columnar state of every incident, and how it changes.

A million incidents as Python dicts would take gigabytes and minutes to build. Instead each
field that paging, filtering or sorting needs (timestamps, status, kind, severity, change
version) lives in a typed ``array``; the rest of a record (title, services, labels...) is
regenerated on demand by :mod:`incident_render` from the seed and the record number.

The base columns are drawn column by column from one seeded stream (list comprehensions, not
one ``random.Random`` per record, which costs ~8 µs each), so 1M incidents build in seconds.
"""

from __future__ import annotations

import math
import random
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from itertools import accumulate
from statistics import NormalDist
from typing import ClassVar

from ingestion.demo_api.catalog import (
    KIND_CODE,
    KIND_WEIGHTS,
    KINDS,
    NO_SEVERITY,
    SCHEDULED_KIND,
    SEVERITY_WEIGHTS,
    STATUS_CODE,
    STATUSES,
)
from ingestion.demo_api.columns import ColumnTable
from ingestion.demo_api.timeutil import DATA_END_MS, DATA_START_MS, DAY_MS, HOUR_MS, MINUTE_MS

NULL = -1
_S = STATUS_CODE
IN_TRIAGE, STARTED, MITIGATED = _S["in_triage"], _S["started"], _S["mitigated"]
RESOLVED, CLOSED, CANCELLED = _S["resolved"], _S["closed"], _S["cancelled"]
SCHEDULED, IN_PROGRESS, COMPLETED = _S["scheduled"], _S["in_progress"], _S["completed"]

# Median durations (ms) per severity code (critical, high, medium, low, none): critical
# incidents are fixed in minutes to hours, low ones in hours to days; lognormal gives the tail.
_MITIGATE_MEDIAN = (25 * MINUTE_MS, 90 * MINUTE_MS, 6 * HOUR_MS, 20 * HOUR_MS, 8 * HOUR_MS)
_RESOLVE_MEDIAN = (40 * MINUTE_MS, 2 * HOUR_MS, 8 * HOUR_MS, 30 * HOUR_MS, 10 * HOUR_MS)
_MU_MITIGATE = tuple(math.log(m) for m in _MITIGATE_MEDIAN)
_MU_RESOLVE = tuple(math.log(m) for m in _RESOLVE_MEDIAN)
_SIGMA = 1.1
_MU_CLOSE = math.log(2 * DAY_MS)
_QBITS = 12


def _lognormal_quantiles(mu: float, sigma: float) -> tuple[int, ...]:
    """Durations (ms, >= 1) at the midpoints of 2**_QBITS equal-probability bins."""
    size = 1 << _QBITS
    normal = NormalDist(mu, sigma)
    return tuple(max(1, int(math.exp(normal.inv_cdf((j + 0.5) / size)))) for j in range(size))


_MITIGATE_QUANTILES = tuple(_lognormal_quantiles(mu, _SIGMA) for mu in _MU_MITIGATE)
_RESOLVE_QUANTILES = tuple(_lognormal_quantiles(mu, _SIGMA) for mu in _MU_RESOLVE)
_CLOSE_QUANTILES = _lognormal_quantiles(_MU_CLOSE, 0.8)


def _weighted_table(weights: tuple[float, ...]) -> tuple[int, ...]:
    """2**_QBITS codes in proportion to ``weights``: a random index draws a weighted code."""
    size = 1 << _QBITS
    total = sum(weights)
    bounds = list(accumulate(w / total * size for w in weights))
    return tuple(min(bisect_right(bounds, j + 0.5), len(weights) - 1) for j in range(size))


_KIND_TABLE = _weighted_table(KIND_WEIGHTS)
_SEVERITY_TABLE = _weighted_table(SEVERITY_WEIGHTS)

CLOSE_SHARE = 0.6  # resolved incidents that eventually get closed
CANCEL_SHARE = 0.04
DETECTED_SHARE = 0.5
ACKNOWLEDGED_SHARE = 0.55
TRIAGE_SHARE = 0.3  # open incidents still in triage rather than started
#: New incidents and updates of change batch k land inside [batch start, + this window).
BATCH_WINDOW_MS = 45 * MINUTE_MS

TIMESTAMP_COLUMNS = (
    "created",
    "started",
    "detected",
    "acknowledged",
    "mitigated",
    "resolved",
    "closed",
    "cancelled",
    "updated",
)


@dataclass
class AdvanceResult:
    """What one lifecycle step did to one incident (for change summaries)."""

    index: int
    old_status: str
    new_status: str


class IncidentTable(ColumnTable):
    """Per-incident columns; index ``i`` is the incident with ``sequential_id == i + 1``.

    A deleted incident keeps its row (``deleted[i] == 1``) so that the sequential ids and
    record ids of the others never shift; lists and ground truth skip it.
    """

    COLUMNS: ClassVar[dict[str, str]] = {
        "q": "created started detected acknowledged mitigated resolved closed cancelled updated",
        "b": "status kind severity deleted",
        "i": "version",
    }

    @property
    def alive_count(self) -> int:
        """Incidents not deleted: what a list without filters reports as its total."""
        return len(self) - self.deleted_count

    # ---------------------------------------------------------------- base generation

    @classmethod
    def generate(cls, seed: int, count: int) -> IncidentTable:
        """The base data set as of ``DATA_END_MS``: a pure function of (seed, count)."""
        table = cls()
        if count <= 0:
            return table
        rng = random.Random(f"demo-api/incidents/{seed}/{count}")
        rand = rng.random
        bits = rng.getrandbits
        n = count
        as_of = DATA_END_MS
        # Created times rise with the sequential id, spread over the fixed range (minus a day
        # so that every non-scheduled incident has started before the snapshot time).
        step = (DATA_END_MS - DAY_MS - DATA_START_MS) / n
        created = [DATA_START_MS + int((i + rand()) * step) for i in range(n)]
        kind_table, sev_table = _KIND_TABLE, _SEVERITY_TABLE
        kinds = [kind_table[bits(_QBITS)] for _ in range(n)]
        sevs = [sev_table[bits(_QBITS)] for _ in range(n)]
        # Lognormal durations through per-severity quantile tables: 20x cheaper than
        # lognormvariate per record, same distribution up to the 99.99th percentile.
        mitigate_q, resolve_q, close_q = _MITIGATE_QUANTILES, _RESOLVE_QUANTILES, _CLOSE_QUANTILES
        ttm = [mitigate_q[s][bits(_QBITS)] for s in sevs]
        ttr = [resolve_q[s][bits(_QBITS)] for s in sevs]
        rolls = [rand() for _ in range(n)]  # close / cancel / triage decision
        misc = [bits(36) for _ in range(n)]  # start delay | edit delay | detect | acknowledge

        # The common path (not scheduled, not cancelled) column by column; the few scheduled
        # and cancelled incidents are patched afterwards in a short loop.
        start = [c + (mx & 0x1FF) * 1_000 for c, mx in zip(created, misc, strict=True)]
        mit_at = [s + tm for s, tm in zip(start, ttm, strict=True)]
        res_at = [m + tr for m, tr in zip(mit_at, ttr, strict=True)]
        close_cut = CANCEL_SHARE + CLOSE_SHARE
        clo = [
            r + close_q[int(roll * 4093) & 0xFFF] if roll < close_cut else NULL
            for r, roll in zip(res_at, rolls, strict=True)
        ]
        det_bits = int(DETECTED_SHARE * 1024)
        det = [
            s + ((mx >> 18) & 0x3FF) * tm * 3 // (10 * det_bits)
            if (mx >> 18) & 0x3FF < det_bits
            else NULL
            for s, tm, mx in zip(start, ttm, misc, strict=True)
        ]
        ack_bits = int(ACKNOWLEDGED_SHARE * 256)
        ack = [
            s + (mx >> 28) * tm * 6 // (10 * ack_bits) if mx >> 28 < ack_bits else NULL
            for s, tm, mx in zip(start, ttm, misc, strict=True)
        ]
        # Cut every timestamp at the snapshot time: later steps have not happened yet.
        det = [d if d <= as_of else NULL for d in det]
        ack = [a if a <= as_of else NULL for a in ack]
        mit = [m if m <= as_of else NULL for m in mit_at]
        res = [r if r <= as_of else NULL for r in res_at]
        clo = [x if x <= as_of else NULL for x in clo]
        triage_cut = CANCEL_SHARE + (1 - CANCEL_SHARE) * TRIAGE_SHARE
        status = [
            CLOSED
            if x >= 0
            else RESOLVED
            if r >= 0
            else MITIGATED
            if m >= 0
            else IN_TRIAGE
            if roll < triage_cut
            else STARTED
            for x, r, m, roll in zip(clo, res, mit, rolls, strict=True)
        ]
        can = [NULL] * n
        last = list(map(max, start, det, ack, mit, res, clo))

        for i in [i for i, roll in enumerate(rolls) if roll < CANCEL_SHARE]:
            x = start[i] + ttm[i] // 2
            mit[i] = res[i] = clo[i] = NULL
            if x > as_of:
                status[i] = IN_TRIAGE if rolls[i] < CANCEL_SHARE * TRIAGE_SHARE else STARTED
                last[i] = max(start[i], det[i], ack[i])
                continue
            status[i], can[i] = CANCELLED, x
            if det[i] > x:
                det[i] = NULL
            if ack[i] > x:
                ack[i] = NULL
            last[i] = x
        for i in [i for i, kind in enumerate(kinds) if kind == SCHEDULED_KIND]:
            c, tm = created[i], ttm[i]
            begin = c + DAY_MS + (misc[i] & 0xFFF) * 90_000
            end = begin + tm % (4 * HOUR_MS) + HOUR_MS
            det[i] = ack[i] = mit[i] = res[i] = clo[i] = can[i] = NULL
            if begin > as_of:
                status[i], start[i], last[i] = SCHEDULED, NULL, c
            elif end > as_of:
                status[i], start[i], last[i] = IN_PROGRESS, begin, begin
            else:
                status[i], start[i], res[i], last[i] = COMPLETED, begin, end, end
        edit_scale = 2 * HOUR_MS // 512
        upd = [t + ((mx >> 9) & 0x1FF) * edit_scale for t, mx in zip(last, misc, strict=True)]
        # Backfilled incidents that existed by the bulk import share its time as updated_at:
        # equal updated_at values (ties) are normal in real data and paging must stay stable
        # across them. The import lies mid-range, not at the snapshot time, so ties do not
        # sit in every incremental run's lag window.
        backfilled = KIND_CODE["backfilled"]
        imported = DATA_START_MS + (as_of - DATA_START_MS) * 3 // 5
        t_upd = [
            as_of if u >= as_of else max(imported, t) if k == backfilled and t <= imported else u
            for u, t, k in zip(upd, last, kinds, strict=True)
        ]
        t_start, t_det, t_ack, t_mit, t_res, t_clo, t_can = start, det, ack, mit, res, clo, can
        table.created = array("q", created)
        table.started = array("q", t_start)
        table.detected = array("q", t_det)
        table.acknowledged = array("q", t_ack)
        table.mitigated = array("q", t_mit)
        table.resolved = array("q", t_res)
        table.closed = array("q", t_clo)
        table.cancelled = array("q", t_can)
        table.updated = array("q", t_upd)
        table.status = array("b", status)
        table.kind = array("b", kinds)
        table.severity = array("b", sevs)
        table.version = array("i", bytes(4 * n))
        table.deleted = array("b", bytes(n))
        return table

    # ---------------------------------------------------------------- changes

    def advance(self, i: int, at_ms: int, roll: float) -> AdvanceResult:
        """Move incident ``i`` one lifecycle step at time ``at_ms`` (later than all its data).

        Closed, cancelled and completed incidents only get edited (summary and updated_at),
        like a postmortem revision.
        """
        old = self.status[i]
        new = old
        if old == SCHEDULED:
            new, self.started[i] = IN_PROGRESS, at_ms
        elif old == IN_PROGRESS:
            new, self.resolved[i] = COMPLETED, at_ms
        elif old == IN_TRIAGE:
            new = STARTED
            if self.acknowledged[i] < 0:
                self.acknowledged[i] = at_ms
        elif old == STARTED:
            if roll < 0.1:
                new, self.cancelled[i] = CANCELLED, at_ms
            else:
                new, self.mitigated[i] = MITIGATED, at_ms
        elif old == MITIGATED:
            new, self.resolved[i] = RESOLVED, at_ms
        elif old == RESOLVED:
            new, self.closed[i] = CLOSED, at_ms
        self.status[i] = new
        self.updated[i] = at_ms
        self.version[i] += 1
        return AdvanceResult(i, STATUSES[old], STATUSES[new])

    def delete(self, i: int) -> bool:
        """Mark incident ``i`` deleted; False if it already was (deletions are idempotent)."""
        if self.deleted[i]:
            return False
        self.deleted[i] = 1
        self.deleted_count += 1
        return True

    def append_new(self, rng: random.Random, count: int, window_start_ms: int) -> range:
        """Add ``count`` incidents opened during a change batch; returns their indices."""
        first = len(self)
        spread = BATCH_WINDOW_MS - 10 * MINUTE_MS
        offsets = sorted(int(rng.random() * spread) for _ in range(count))
        for offset in offsets:
            kind = rng.choices(range(len(KINDS)), KIND_WEIGHTS)[0]
            sev = rng.choices(range(NO_SEVERITY + 1), SEVERITY_WEIGHTS)[0]
            c = window_start_ms + offset
            self.created.append(c)
            self.kind.append(kind)
            self.severity.append(sev)
            self.version.append(0)
            self.deleted.append(0)
            for column in (self.detected, self.acknowledged, self.mitigated):
                column.append(NULL)
            for column in (self.resolved, self.closed, self.cancelled):
                column.append(NULL)
            if kind == SCHEDULED_KIND:
                self.status.append(SCHEDULED)
                self.started.append(NULL)
                self.updated.append(c)
                continue
            s = c + int(rng.random() * 5 * MINUTE_MS)
            self.started.append(s)
            self.status.append(IN_TRIAGE if rng.random() < 0.5 else STARTED)
            self.updated.append(s + int(rng.random() * 5 * MINUTE_MS))
        return range(first, len(self))
