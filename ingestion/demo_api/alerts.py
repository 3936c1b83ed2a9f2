"""Alerts: a columnar table like the incidents', rendered on demand, with change batches.

About three alerts per incident. Most never become an incident (about 15 % are attached to
one, created minutes before it), a share is classified as noise, and nearly all resolve on
their own within minutes to hours. The columns paging, filtering and sorting need (created,
updated, status) live in typed arrays so that :class:`ordering.IncidentOrdering` indexes
them exactly as it indexes incidents: ``filter[updated_at]``, ``sort=[-]updated_at`` and
cursor paging cost O(page size + log n) here too.

Everything else is drawn at render time from ``random.Random`` seeded by (seed, row), from
a stream of its own: adding alerts did not change a byte of the incidents.
"""

from __future__ import annotations

import math
import random
import string
from array import array
from bisect import bisect_left
from collections.abc import Sequence
from functools import cache
from typing import Any, ClassVar

from ingestion.demo_api import catalog
from ingestion.demo_api.catalogs import (
    ALERT_URGENCY_ENTRIES,
    REFERABLE,
    USERS,
    Entry,
    embedded,
    service_owner,
    source_type_of,
    user_flat,
)
from ingestion.demo_api.columns import ColumnTable
from ingestion.demo_api.incident_render import incident_id, stable_uuid
from ingestion.demo_api.incident_table import BATCH_WINDOW_MS, NULL
from ingestion.demo_api.timeutil import (
    DATA_END_MS,
    DATA_START_MS,
    HOUR_MS,
    MINUTE_MS,
    iso_ms,
    iso_or_none,
)

ALERT_STATUSES: tuple[str, ...] = ("open", "triggered", "acknowledged", "resolved", "deferred")
ALERT_STATUS_CODE: dict[str, int] = {name: code for code, name in enumerate(ALERT_STATUSES)}
OPEN, TRIGGERED, ACKNOWLEDGED, RESOLVED, DEFERRED = range(5)
#: The spec's ``noise`` values; stored as their index, NULL when not classified yet.
NOISE: tuple[str, ...] = ("noise", "not_noise")
#: Alerts per incident in the base data.
ALERTS_PER_INCIDENT = 3
#: Share of alerts attached to an incident (declared from it minutes later).
INCIDENT_SHARE = 0.15
#: Alerts never resolved on their own: deferred, and left open (triggered/acknowledged/open).
DEFERRED_SHARE = 0.02
STALE_SHARE = 0.03
#: Unattached alerts classified as noise / as not noise; the rest are not classified.
NOISE_SHARE = 0.30
NOT_NOISE_SHARE = 0.30
_QBITS = 12
_BASE62 = string.digits + string.ascii_letters


def _duration_quantiles() -> tuple[int, ...]:
    """How long an alert fires (ms): lognormal, median 20 minutes, a tail of hours."""
    from statistics import NormalDist

    size = 1 << _QBITS
    normal = NormalDist(math.log(20 * MINUTE_MS), 1.3)
    return tuple(max(1000, int(math.exp(normal.inv_cdf((j + 0.5) / size)))) for j in range(size))


_DURATIONS = _duration_quantiles()


def _weighted(weights: tuple[float, ...]) -> tuple[int, ...]:
    size = 1 << _QBITS
    total = sum(weights)
    table: list[int] = []
    for code, weight in enumerate(weights):
        table += [code] * round(weight / total * size)
    return tuple((table + [len(weights) - 1] * size)[:size])


_SOURCE_TABLE = _weighted(catalog.ALERT_SOURCE_WEIGHTS)
#: The status of an alert still firing at the snapshot, by two random bits.
_STILL_OPEN = (TRIGGERED, TRIGGERED, ACKNOWLEDGED, OPEN)


class AlertTable(ColumnTable):
    """Per-alert columns; row ``i`` is rendered by :func:`render_alert`.

    Alerts are never deleted (the API has no such thing for them); ``deleted`` exists so
    that the incidents' ordering code can index this table unchanged.
    """

    COLUMNS: ClassVar[dict[str, str]] = {
        "q": "created started ended updated incident",  # incident: its row, or NULL
        "b": "status noise source deleted",
        "i": "version",
    }

    @classmethod
    def generate(cls, seed: int, count: int, incident_created: Sequence[int]) -> AlertTable:
        """The base alerts as of ``DATA_END_MS``: a pure function of its arguments.

        ``incident_created`` are the base incidents' created times (ascending, as the
        incidents' generator makes them); an attached alert is created 1-17 minutes before
        the incident it became.
        """
        table = cls()
        if count <= 0:
            return table
        rng = random.Random(f"demo-api/alerts/{seed}/{count}")
        rand, bits = rng.random, rng.getrandbits
        as_of = DATA_END_MS
        step = (DATA_END_MS - HOUR_MS - DATA_START_MS) / count
        created = [DATA_START_MS + int((i + rand()) * step) for i in range(count)]
        rolls = [rand() for _ in range(count)]  # attached to an incident?
        status_roll = [rand() for _ in range(count)]
        noise_roll = [rand() for _ in range(count)]
        sources = [_SOURCE_TABLE[bits(_QBITS)] for _ in range(count)]
        misc = [bits(42) for _ in range(count)]  # attach | start | duration | edit | status
        incidents = len(incident_created)
        attached = [NULL] * count
        if incidents:
            for i in [i for i, roll in enumerate(rolls) if roll < INCIDENT_SHARE]:
                row = min(bisect_left(incident_created, created[i]), incidents - 1)
                attached[i] = row
                created[i] = max(DATA_START_MS, incident_created[row] - (misc[i] & 0x3FF) * 1000)
        started = [c - ((mx >> 10) & 0xFF) * 1000 for c, mx in zip(created, misc, strict=True)]
        durations = _DURATIONS
        ended = [s + durations[(mx >> 18) & 0xFFF] for s, mx in zip(started, misc, strict=True)]
        status: list[int] = []
        noise: list[int] = []
        for i in range(count):
            s, x = status_roll[i], noise_roll[i]
            if s < DEFERRED_SHARE:
                status.append(DEFERRED)
                ended[i] = NULL
            elif s < DEFERRED_SHARE + STALE_SHARE or ended[i] > as_of:
                status.append(_STILL_OPEN[misc[i] >> 40])
                ended[i] = NULL
            else:
                status.append(RESOLVED)
            if attached[i] >= 0:
                noise.append(1 if x < 0.8 else NULL)
            else:
                noise.append(
                    0 if x < NOISE_SHARE else 1 if x < NOISE_SHARE + NOT_NOISE_SHARE else NULL
                )
        updated = [
            min(as_of, max(c, e) + ((mx >> 30) & 0x3FF) * 1000)
            for c, e, mx in zip(created, ended, misc, strict=True)
        ]
        table.created = array("q", created)
        table.started = array("q", started)
        table.ended = array("q", ended)
        table.updated = array("q", updated)
        table.status = array("b", status)
        table.noise = array("b", noise)
        table.source = array("b", sources)
        table.incident = array("q", attached)
        table.version = array("i", bytes(4 * count))
        table.deleted = array("b", bytes(count))
        return table

    # ---------------------------------------------------------------- changes

    def append(self, created_ms: int, incident: int, roll: float, source: int) -> int:
        """A new alert firing at ``created_ms`` (attached to incident row ``incident``)."""
        self.created.append(created_ms)
        self.started.append(created_ms - int(roll * 120) * 1000)
        self.ended.append(NULL)
        self.updated.append(created_ms + int(roll * 30_000))
        self.status.append(TRIGGERED if roll < 0.8 else OPEN)
        self.noise.append(1 if incident >= 0 else NULL)
        self.source.append(source)
        self.incident.append(incident)
        self.version.append(0)
        self.deleted.append(0)
        return len(self) - 1

    def advance(self, i: int, at_ms: int, roll: float) -> None:
        """One lifecycle step at ``at_ms``: acknowledge, resolve, re-trigger or classify."""
        old = self.status[i]
        if old in (OPEN, TRIGGERED):
            self.status[i] = ACKNOWLEDGED if roll < 0.7 else RESOLVED
        elif old == ACKNOWLEDGED:
            self.status[i] = RESOLVED
        elif old == DEFERRED:
            self.status[i] = TRIGGERED
        elif self.noise[i] == NULL:
            self.noise[i] = 0 if roll < 0.5 else 1
        else:
            self.noise[i] = 1 - self.noise[i]  # a responder corrected the classification
        if self.status[i] == RESOLVED and self.ended[i] < 0:
            self.ended[i] = at_ms
        self.updated[i] = at_ms
        self.version[i] += 1

    def apply_batch(
        self,
        rng: random.Random,
        start_ms: int,
        fraction: float,
        new_incidents: range,
        incident_created: Sequence[int],
    ) -> dict[str, list[int]]:
        """Fire new alerts, move open ones on, classify resolved ones; the rows changed.

        A third of the still-open alerts moves one step, a third of ``fraction`` of all
        alerts is (re)classified as noise or not, and as many new ones fire, plus one for
        most of the batch's new incidents. Reads no incident but the new ones' created
        times, which never change: replaying batches gives the same alerts.
        """
        share = max(1, round(len(self) * fraction / 3))
        alive = [i for i, s in enumerate(self.status) if s != RESOLVED]
        moved = sorted(rng.sample(alive, min(len(alive), max(1, round(len(alive) / 3)))))
        resolved = [i for i, s in enumerate(self.status) if s == RESOLVED]
        wanted = min(len(resolved), share)
        classified = sorted(rng.sample(resolved, wanted)) if resolved else []
        for i in sorted({*moved, *classified}):
            self.advance(i, start_ms + int(rng.random() * BATCH_WINDOW_MS), rng.random())
        new: list[int] = []
        for row in new_incidents:
            if rng.random() < 0.6:  # the incident was declared from an alert
                at = max(start_ms, incident_created[row] - int(rng.random() * 5 * MINUTE_MS))
                new.append(self.append(at, row, rng.random(), _SOURCE_TABLE[rng.getrandbits(12)]))
        for _ in range(share):
            at = start_ms + int(rng.random() * (BATCH_WINDOW_MS - 10 * MINUTE_MS))
            new.append(self.append(at, NULL, rng.random(), _SOURCE_TABLE[rng.getrandbits(12)]))
        return {"created": new, "updated": sorted({*moved, *classified})}


# ---------------------------------------------------------------------------- rendering


def _short_id(rng: random.Random) -> str:
    value = rng.getrandbits(36)
    chars = []
    for _ in range(6):
        value, digit = divmod(value, 62)
        chars.append(_BASE62[digit])
    return "".join(chars)


def _labels(rng: random.Random, environment: str | None) -> list[dict[str, Any]]:
    if rng.random() < 0.2:
        return []
    labels: list[dict[str, Any]] = []
    for key in rng.sample(catalog.ALERT_LABEL_KEYS, k=rng.randint(1, 3)):
        if key == "threshold":
            value: Any = round(rng.uniform(50, 99), 1)
        elif key == "paged":
            value = rng.random() < 0.5
        elif key == "priority":
            value = rng.randint(1, 5)
        elif key == "region":
            value = rng.choice(("eu-west-1", "us-east-1", "ap-northeast-1"))
        else:
            value = environment or rng.choice(("prod-a", "prod-b", "staging"))
        labels.append({"key": key, "value": value})
    return labels


def render_alert(seed: int, table: AlertTable, i: int) -> dict[str, Any]:
    """The JSON:API record of alert row ``i`` as currently stored."""
    rng = random.Random(f"demo-api/alert/{seed}/{i}")
    record_id = stable_uuid(rng)
    short_id = _short_id(rng)
    referable_services = REFERABLE["services"]
    count = 0 if rng.random() < 0.1 else 1 if rng.random() < 0.75 else 2
    first = rng.randrange(len(referable_services))
    services = [referable_services[(first + 5 * k) % len(referable_services)] for k in range(count)]
    groups = []
    for service in services:
        owner = service_owner(service.number)
        if owner is not None and owner not in groups:
            groups.append(owner)
    environments = REFERABLE["environments"]
    environment = None if rng.random() < 0.25 else environments[0 if rng.random() < 0.7 else 1]
    functionalities = REFERABLE["functionalities"]
    functionality = [rng.choice(functionalities)] if rng.random() < 0.3 else []
    source = REFERABLE["alert_sources"][table.source[i]]
    source_type = source_type_of(source)
    urgency_roll = rng.random()
    urgency = ALERT_URGENCY_ENTRIES[0 if urgency_roll < 0.25 else 1 if urgency_roll < 0.7 else 2]
    subject = rng.choice(catalog.ALERT_SUBJECTS)
    where = services[0].name if services else rng.choice(("db-primary", "edge-proxy", "batch"))
    summary = f"{subject} on {where}"
    status = table.status[i]
    responder = rng.choice(USERS)
    notified = [rng.choice(USERS) for _ in range(max(0, rng.randint(-1, 2)))]
    handled = status in (ACKNOWLEDGED, RESOLVED) and rng.random() < 0.4  # a person acted
    external = None if source_type == "email" else f"{source_type}-{rng.getrandbits(32):08x}"
    target = services[0] if services and rng.random() < 0.6 else groups[0] if groups else None
    target_type = None if target is None else "Service" if target in services else "Group"
    noise = table.noise[i]
    attributes: dict[str, Any] = {
        "short_id": short_id,
        "noise": None if noise < 0 else NOISE[noise],
        "source": source_type,
        "status": ALERT_STATUSES[status],
        "summary": summary,
        "description": None if rng.random() < 0.5 else f"{summary} for more than 5 minutes.",
        "services": [embedded(s) for s in services],
        "groups": [embedded(g) for g in groups],
        "functionalities": [embedded(f) for f in functionality],
        "environments": [embedded(environment)] if environment else [],
        "service_ids": [s.id for s in services],
        "group_ids": [g.id for g in groups],
        "functionality_ids": [f.id for f in functionality],
        "environment_ids": [environment.id] if environment else [],
        "external_id": external,
        "external_url": None
        if external is None
        else f"https://{source_type}.example.com/{external}",
        "alert_urgency_id": urgency.id,
        "alert_urgency": _urgency(urgency),
        "group_leader_alert_id": None,
        "is_group_leader_alert": False,
        "labels": _labels(rng, environment.slug if environment else None),
        "data": None
        if rng.random() < 0.2
        else {"monitor_id": rng.randrange(10**6), "value": round(rng.uniform(0, 100), 2)},
        "notification_target_type": target_type,
        "notification_target_id": None if target is None else target.id,
        "deduplication_key": None if rng.random() < 0.4 else f"{where}:{subject}".lower(),
        "alert_field_values": [],
        "responders": [user_flat(responder)] if handled else [],
        "notified_users": [_notified(u) for u in notified],
        "alerting_targets": [] if not groups else [{"id": groups[0].id, "type": "Group"}],
        "url": f"https://incidents.example.com/account/alerts/{short_id}",
        "started_at": iso_ms(table.started[i]),
        "ended_at": iso_or_none(table.ended[i]),
        "created_at": iso_ms(table.created[i]),
        "updated_at": iso_ms(table.updated[i]),
    }
    row = table.incident[i]
    linked = [] if row < 0 else [{"id": incident_id(seed, row), "type": "incidents"}]
    return {
        "id": record_id,
        "type": "alerts",
        "attributes": attributes,
        "relationships": {"incidents": {"data": linked}},
    }


@cache
def _urgency(entry: Entry) -> dict[str, Any]:
    """An urgency as alerts nest it (built once, shared: read-only)."""
    return {
        "id": entry.id,
        "name": entry.name,
        "description": catalog.ALERT_URGENCIES[entry.number - 1][1],
        "position": entry.number,
        "created_at": iso_ms(entry.created_ms),
        "updated_at": iso_ms(entry.updated_ms),
    }


@cache
def _notified(user: Entry) -> dict[str, Any]:
    """A notified user as alerts nest it (the spec's ``user``; built once, shared)."""
    flat = user_flat(user)
    stamps = {"created_at": flat["created_at"], "updated_at": flat["updated_at"]}
    return {"id": user.id, "email": flat["email"], **stamps}
