"""Action items (follow-ups) and retrospectives (post-mortems) of incidents.

Both belong to one incident each, named by the JSON:API relationship
``relationships.incident.data`` (the spec's attributes carry no incident id); the nested
``/v1/incidents/{id}/action_items`` names it by its path. Deleting an incident deletes its
action items and retrospective with it: they leave the lists and ground truth names them.

Action items: about 1.5 per incident, tasks during the incident and follow-ups after it,
most follow-ups with a due date, which open ones are often past. Retrospectives: for about
a quarter of the incidents (most critical ones, few low ones), drafted days after the
incident was resolved and published days later.

Generation reads only incident facts that never change once set (created_at, kind,
severity, and the base resolution times), never which incidents are deleted: the data stays
a pure function of (seed, sizes, batches) however late it is first built.
"""

from __future__ import annotations

import math
import random
from bisect import insort
from collections.abc import Sequence
from datetime import UTC, datetime
from statistics import NormalDist
from typing import Any, ClassVar

from ingestion.demo_api import catalog
from ingestion.demo_api.catalogs import REFERABLE, USERS, user_flat
from ingestion.demo_api.columns import ColumnTable
from ingestion.demo_api.incident_render import incident_id, incident_title, slugify, stable_uuid
from ingestion.demo_api.incident_table import BATCH_WINDOW_MS, NULL, IncidentTable
from ingestion.demo_api.timeutil import DATA_END_MS, DAY_MS, HOUR_MS, MINUTE_MS, iso_ms

ACTION_ITEM_STATUSES: tuple[str, ...] = ("open", "in_progress", "cancelled", "done")
OPEN, IN_PROGRESS, CANCELLED, DONE = range(4)
ACTION_ITEM_KINDS: tuple[str, ...] = ("task", "follow_up")
TASK, FOLLOW_UP = range(2)
PRIORITIES: tuple[str, ...] = ("high", "medium", "low")
#: Action items per incident: weights of 0, 1, 2, ... (mean about 1.5).
ITEMS_PER_INCIDENT: tuple[float, ...] = (30, 25, 20, 13, 8, 4)
POST_MORTEM_STATUSES: tuple[str, ...] = ("draft", "published")
DRAFT, PUBLISHED = range(2)
#: Share of resolved incidents that get a retrospective, per severity code (critical, high,
#: medium, low, none).
POST_MORTEM_SHARE: tuple[float, ...] = (0.95, 0.75, 0.3, 0.08, 0.1)
#: Incident kinds that get retrospectives (not tests, examples or maintenance).
_REAL_KINDS = frozenset(
    code
    for code, name in enumerate(catalog.KINDS)
    if name in ("normal", "normal_sub", "backfilled")
)
_QBITS = 12


def _lognormal(median_ms: int, sigma: float) -> tuple[int, ...]:
    size = 1 << _QBITS
    normal = NormalDist(math.log(median_ms), sigma)
    return tuple(max(1, int(math.exp(normal.inv_cdf((j + 0.5) / size)))) for j in range(size))


_DRAFT_DELAY = _lognormal(4 * DAY_MS, 0.7)  # resolution -> retrospective drafted
_PUBLISH_DELAY = _lognormal(6 * DAY_MS, 0.8)  # drafted -> published


def due_date(ms: int) -> str:
    """A due date as the API writes it: the calendar day, no time."""
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d")


def _record_of_incident(
    record_id: str, record_type: str, attributes: dict[str, Any], seed: int, row: int
) -> dict[str, Any]:
    """A JSON:API record that names its incident the conventional way, under
    ``relationships.incident.data`` (the spec does not say how; see docs/how-data-moves.md)."""
    return {
        "id": record_id,
        "type": record_type,
        "attributes": attributes,
        "relationships": {
            "incident": {"data": {"id": incident_id(seed, row), "type": "incidents"}}
        },
    }


class ActionItemTable(ColumnTable):
    """Per-action-item columns; ``by_incident`` lists each incident's rows in order."""

    COLUMNS: ClassVar[dict[str, str]] = {
        "q": "incident created updated due",  # due: start of the due day, or NULL
        "b": "status kind priority",
        "i": "version",
    }

    def __init__(self) -> None:
        super().__init__()
        self.by_incident: dict[int, list[int]] = {}

    def _append(
        self, row: int, created: int, updated: int, due: int, status: int, kind: int, priority: int
    ) -> int:
        self.incident.append(row)
        self.created.append(created)
        self.updated.append(updated)
        self.due.append(due)
        self.status.append(status)
        self.kind.append(kind)
        self.priority.append(priority)
        self.version.append(0)
        j = len(self) - 1
        self.by_incident.setdefault(row, []).append(j)
        return j

    @classmethod
    def generate(
        cls, seed: int, incidents: IncidentTable, base: int, resolved: Sequence[int]
    ) -> ActionItemTable:
        """The base action items of the first ``base`` incidents as of ``DATA_END_MS``.

        ``resolved`` holds those incidents' resolution times as generated (NULL if open).
        """
        table = cls()
        rng = random.Random(f"demo-api/action-items/{seed}/{base}")
        rand = rng.random
        as_of = DATA_END_MS
        weights = ITEMS_PER_INCIDENT
        cumulative = [sum(weights[: k + 1]) / sum(weights) for k in range(len(weights))]
        for i in range(base):
            roll = rand()
            count = next(
                k for k, edge in enumerate(cumulative) if roll < edge or k == len(cumulative) - 1
            )
            opened = incidents.created[i]
            closed = resolved[i] if 0 <= resolved[i] <= as_of else NULL
            for _ in range(count):
                kind = FOLLOW_UP if rand() < 0.6 else TASK
                if kind == FOLLOW_UP and closed >= 0:
                    created = closed + int(rand() * 3 * DAY_MS) + 10 * MINUTE_MS
                else:
                    created = opened + int(rand() * 4 * HOUR_MS) + 2 * MINUTE_MS
                if created >= as_of:
                    created = opened + int(rand() * max(1, as_of - opened))
                due = (
                    NULL
                    if rand() < 0.2
                    else (created + int((2 + rand() * 43) * DAY_MS)) // DAY_MS * DAY_MS
                )
                overdue = 0 <= due < as_of
                state = rand()
                if overdue:
                    status = (
                        DONE
                        if state < 0.55
                        else CANCELLED
                        if state < 0.63
                        else IN_PROGRESS
                        if state < 0.73
                        else OPEN
                    )
                else:
                    status = (
                        DONE
                        if state < 0.35
                        else CANCELLED
                        if state < 0.40
                        else IN_PROGRESS
                        if state < 0.55
                        else OPEN
                    )
                age = as_of - created
                if status in (DONE, CANCELLED):
                    updated = created + int(rand() * min(age, 30 * DAY_MS))
                elif status == IN_PROGRESS:
                    updated = created + int(rand() * age / 2)
                else:
                    updated = created + int(rand() * min(age, 10 * MINUTE_MS))
                priority = 0 if (p := rand()) < 0.25 else 1 if p < 0.75 else 2
                table._append(i, created, updated, due, status, kind, priority)
        return table

    def apply_batch(
        self,
        rng: random.Random,
        start_ms: int,
        fraction: float,
        base_items: int,
        base_incidents: int,
        new_incidents: range,
        incident_created: Sequence[int],
    ) -> dict[str, list[int]]:
        """Complete some open items, start others, file new ones; the rows changed."""
        share = max(1, round(base_items * fraction))
        pending = [j for j, s in enumerate(self.status) if s in (OPEN, IN_PROGRESS)]
        completed = sorted(rng.sample(pending, min(len(pending), share)))
        done = set(completed)
        waiting = [j for j in pending if j not in done and self.status[j] == OPEN]
        started = sorted(rng.sample(waiting, min(len(waiting), max(1, share // 2))))
        for j in completed:
            self._change(j, DONE, start_ms + int(rng.random() * BATCH_WINDOW_MS))
        for j in started:
            self._change(j, IN_PROGRESS, start_ms + int(rng.random() * BATCH_WINDOW_MS))
        created: list[int] = []
        for row in new_incidents:  # a task filed while the new incident is handled
            at = incident_created[row] + int((1 + rng.random() * 9) * MINUTE_MS)
            created.append(self._new(rng, row, at, TASK))
        for _ in range(max(1, share // 2)):  # follow-ups of earlier incidents
            if base_incidents == 0:
                break
            row = rng.randrange(base_incidents)
            at = start_ms + int(rng.random() * BATCH_WINDOW_MS)
            created.append(self._new(rng, row, at, FOLLOW_UP))
        return {"completed": completed, "started": started, "created": created}

    def _change(self, j: int, status: int, at_ms: int) -> None:
        self.status[j] = status
        self.updated[j] = at_ms
        self.version[j] += 1

    def _new(self, rng: random.Random, row: int, at_ms: int, kind: int) -> int:
        due = (at_ms + int((7 + rng.random() * 23) * DAY_MS)) // DAY_MS * DAY_MS
        priority = rng.randrange(len(PRIORITIES))
        return self._append(row, at_ms, at_ms, due, OPEN, kind, priority)


def render_action_item(seed: int, table: ActionItemTable, j: int) -> dict[str, Any]:
    """The JSON:API record of action item row ``j`` as currently stored."""
    rng = random.Random(f"demo-api/action-item/{seed}/{j}")
    record_id = stable_uuid(rng)
    services = REFERABLE["services"]
    service = rng.choice(services)
    summary = f"{rng.choice(catalog.ACTION_ITEM_VERBS)} {service.name}"
    assignee = None if rng.random() < 0.15 else rng.choice(USERS)
    creator = rng.choice(USERS)
    teams = REFERABLE["teams"]
    group = [] if rng.random() < 0.4 else [rng.choice(teams).id]
    jira = rng.random() < 0.3
    key = f"OPS-{1000 + j}"
    due = table.due[j]
    described = rng.random() < 0.4
    attributes = {
        "summary": summary,
        "description": f"Raised in the review of incident #{table.incident[j] + 1}."
        if described
        else None,
        "kind": ACTION_ITEM_KINDS[table.kind[j]],
        "assigned_to": None if assignee is None else user_flat(assignee),
        "assigned_to_group_ids": group,
        "priority": PRIORITIES[table.priority[j]],
        "status": ACTION_ITEM_STATUSES[table.status[j]],
        "due_date": None if due < 0 else due_date(due),
        "jira_issue_id": str(10_000 + j) if jira else None,
        "jira_issue_key": key if jira else None,
        "jira_issue_url": f"https://acme.atlassian.example.com/browse/{key}" if jira else None,
        "created_by": user_flat(creator),
        "created_at": iso_ms(table.created[j]),
        "updated_at": iso_ms(table.updated[j]),
    }
    return _record_of_incident(
        record_id, "incident_action_items", attributes, seed, table.incident[j]
    )


# ---------------------------------------------------------------------------- retrospectives


class PostMortemTable(ColumnTable):
    """Per-retrospective columns, and the incidents whose retrospective is not drafted yet."""

    COLUMNS: ClassVar[dict[str, str]] = {
        "q": "incident created updated",
        "b": "status",
        "i": "version",
    }

    def __init__(self) -> None:
        super().__init__()
        #: (planned draft time, incident row) of retrospectives still to be written, in order
        self.pending: list[tuple[int, int]] = []
        #: incident rows resolved after the base data whose retrospective was decided on
        self.considered: set[int] = set()
        #: incident rows that have a retrospective, drafted or pending
        self.covered: set[int] = set()
        self.base_resolved: Sequence[int] = ()

    def _append(self, row: int, created: int, updated: int, status: int) -> int:
        self.incident.append(row)
        self.created.append(created)
        self.updated.append(updated)
        self.status.append(status)
        self.version.append(0)
        return len(self) - 1

    @classmethod
    def generate(
        cls, seed: int, incidents: IncidentTable, base: int, resolved: Sequence[int]
    ) -> PostMortemTable:
        """Retrospectives of the first ``base`` incidents resolved by ``DATA_END_MS``."""
        table = cls()
        table.base_resolved = resolved
        rng = random.Random(f"demo-api/post-mortems/{seed}/{base}")
        bits = rng.getrandbits
        as_of = DATA_END_MS
        kinds, severities = incidents.kind, incidents.severity
        for i in range(base):
            roll, draft_bits, publish_bits = rng.random(), bits(_QBITS), bits(_QBITS)
            done = resolved[i]
            if not 0 <= done <= as_of or kinds[i] not in _REAL_KINDS:
                continue
            if roll >= POST_MORTEM_SHARE[severities[i]]:
                continue
            drafted = done + _DRAFT_DELAY[draft_bits] + HOUR_MS
            table.covered.add(i)
            if drafted > as_of:
                table.pending.append((drafted, i))
                continue
            published = drafted + _PUBLISH_DELAY[publish_bits]
            if published <= as_of:
                table._append(i, drafted, published, PUBLISHED)
            else:
                table._append(i, drafted, drafted + (as_of - drafted) * publish_bits // 4096, DRAFT)
        table.pending.sort()
        return table

    def apply_batch(
        self,
        rng: random.Random,
        seed: int,
        start_ms: int,
        fraction: float,
        base_rows: int,
        incidents: IncidentTable,
    ) -> dict[str, list[int]]:
        """Publish a few drafts and draft the next pending retrospectives; the rows changed.

        Incidents resolved by earlier batches (after the base data, before ``start_ms``)
        join the pending ones with the same chance as base ones. Which incidents that are
        depends on the batch count only: a batch's resolutions fall within its own hour.
        """
        share = max(1, round(base_rows * fraction * 2))
        resolved, kinds, severities = incidents.resolved, incidents.kind, incidents.severity
        for i, done in enumerate(resolved):
            if not DATA_END_MS < done < start_ms or i in self.considered:
                continue
            self.considered.add(i)
            pick = random.Random(f"demo-api/post-mortem-pick/{seed}/{i}")
            if kinds[i] in _REAL_KINDS and pick.random() < POST_MORTEM_SHARE[severities[i]]:
                insort(self.pending, (done + _DRAFT_DELAY[pick.getrandbits(_QBITS)], i))
                self.covered.add(i)
        # Too few waiting: someone writes up an older incident that had none (late ones).
        base = len(self.base_resolved)
        for _ in range(20 * share):
            if len(self.pending) >= share or base == 0:
                break
            i = rng.randrange(base)
            if i in self.covered or kinds[i] not in _REAL_KINDS:
                continue
            if 0 <= self.base_resolved[i] <= DATA_END_MS:
                insort(self.pending, (self.base_resolved[i], i))
                self.covered.add(i)
        drafts = [k for k, s in enumerate(self.status) if s == DRAFT]
        published = sorted(rng.sample(drafts, min(len(drafts), share)))
        for k in published:
            self.status[k] = PUBLISHED
            self.updated[k] = max(
                self.created[k] + 1, start_ms + int(rng.random() * BATCH_WINDOW_MS)
            )
            self.version[k] += 1
        drafted = []
        for _ in range(min(share, len(self.pending))):
            _, row = self.pending.pop(0)
            at = start_ms + int(rng.random() * BATCH_WINDOW_MS)
            drafted.append(self._append(row, at, at, DRAFT))
        return {"drafted": drafted, "published": published}


def render_post_mortem(
    seed: int, table: PostMortemTable, incidents: IncidentTable, k: int
) -> dict[str, Any]:
    """The JSON:API record of retrospective row ``k`` as currently stored."""
    row = table.incident[k]
    title = incident_title(seed, row)
    slug = slugify(title, f"incident-{row + 1}")
    rng = random.Random(f"demo-api/post-mortem/{seed}/{k}")
    record_id = stable_uuid(rng)
    status = table.status[k]
    if status == DRAFT and rng.random() < 0.3:
        content = None
    else:
        sections = rng.sample(
            catalog.POST_MORTEM_SECTIONS, k=rng.randint(3, len(catalog.POST_MORTEM_SECTIONS))
        )
        body = [
            f"{heading}\n\n{' '.join(rng.choices(catalog.SUMMARY_SENTENCES, k=3))}"
            for heading in sections
        ]
        content = "\n\n".join(body)
    mitigated = incidents.mitigated[row]
    attributes = {
        "title": f"Retrospective: {title}",
        "content": content,
        "status": POST_MORTEM_STATUSES[status],
        "started_at": None if incidents.started[row] < 0 else iso_ms(incidents.started[row]),
        "mitigated_at": None if mitigated < 0 else iso_ms(mitigated),
        "resolved_at": iso_ms(incidents.resolved[row]),
        "show_timeline": True,
        "show_timeline_trail": rng.random() < 0.5,
        "show_timeline_genius": False,
        "show_timeline_tasks": rng.random() < 0.5,
        "show_timeline_action_items": True,
        "show_timeline_order": "desc" if rng.random() < 0.8 else "asc",
        "show_services_impacted": True,
        "show_functionalities_impacted": rng.random() < 0.5,
        "show_groups_impacted": True,
        "show_alerts_attached": rng.random() < 0.6,
        "url": f"{catalog.INCIDENT_URL_BASE}{row + 1}-{slug}/retrospective",
        "created_at": iso_ms(table.created[k]),
        "updated_at": iso_ms(table.updated[k]),
    }
    return _record_of_incident(record_id, "incident_post_mortems", attributes, seed, row)
