"""Dashboards: a small collection rendered from the seed, with edits and deletions.

Dashboards are few (tens to thousands), so each is rendered from its own seeded
``random.Random``; a change batch only records which were deleted and which were edited at
what time, which keeps the data a pure function of (seed, sizes, batches applied).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from ingestion.demo_api import catalog
from ingestion.demo_api.incident_render import stable_uuid
from ingestion.demo_api.timeutil import DATA_END_MS, DATA_START_MS, MINUTE_MS, iso_ms


@dataclass
class DashboardEdit:
    """The latest edit of one dashboard: how many edits so far and when the last one was."""

    version: int
    updated_ms: int


@dataclass
class DashboardTable:
    """Which dashboards exist (by creation index) and how they were changed."""

    seed: int
    count: int
    deleted: set[int] = field(default_factory=set)
    edits: dict[int, DashboardEdit] = field(default_factory=dict)

    def alive(self) -> list[int]:
        """Indices of dashboards not deleted, in creation order (the list order)."""
        return [j for j in range(self.count) if j not in self.deleted]

    def dashboard_id(self, j: int) -> str:
        return stable_uuid(random.Random(f"demo-api/dashboard/{self.seed}/{j}"))

    def render(self, j: int) -> dict[str, Any]:
        """The JSON:API record of dashboard ``j`` as currently stored."""
        rng = random.Random(f"demo-api/dashboard/{self.seed}/{j}")
        record_id = stable_uuid(rng)
        span = DATA_END_MS - DATA_START_MS
        created = DATA_START_MS + int(rng.random() * span * 0.9)
        updated = created + int(rng.random() * (DATA_END_MS - created))
        owner = "team" if rng.random() < 0.45 else "user"
        team_id = rng.choice(catalog.TEAM_IDS)
        topic = rng.choice(catalog.DASHBOARD_TOPICS)
        team_name = catalog.TEAMS[team_id - 1].name
        name = f"{topic} · {team_name}" if owner == "team" else f"{topic} #{j + 1}"
        roll = rng.random()
        if roll < 0.3:
            description = None
        elif roll < 0.35:
            description = "Panels: " + ", ".join(rng.choices(catalog.DASHBOARD_TOPICS, k=60))
        else:
            description = f"{topic} for the {team_name} team."
        attributes: dict[str, Any] = {
            "name": name,
            "description": description,
            "owner": owner,
            "public": rng.random() < 0.3,
            "team_id": team_id,
            "user_id": None if owner == "team" else 1000 + rng.randrange(200),
            "range": None if rng.random() < 0.25 else rng.choice(catalog.DASHBOARD_RANGES),
            "period": None if rng.random() < 0.3 else rng.choice(catalog.DASHBOARD_PERIODS),
            "auto_refresh": rng.random() < 0.4,
            "color": None if rng.random() < 0.2 else rng.choice(catalog.DASHBOARD_COLORS),
            "icon": rng.choice(catalog.DASHBOARD_ICONS),
            "created_at": iso_ms(created),
            "updated_at": iso_ms(updated),
        }
        edit = self.edits.get(j)
        if edit is not None:
            attributes["name"] = f"{name} (rev {edit.version})"
            attributes["description"] = f"{description or topic} — revised in edit {edit.version}."
            attributes["updated_at"] = iso_ms(edit.updated_ms)
        return {"id": record_id, "type": "dashboards", "attributes": attributes}

    def apply_batch(self, rng: random.Random, batch_start_ms: int) -> tuple[list[str], list[str]]:
        """Delete a few dashboards and edit a few others; returns (deleted ids, edited ids)."""
        alive = self.alive()
        if not alive:
            return [], []
        delete_n = min(len(alive), max(1, len(alive) // 40))
        doomed = sorted(rng.sample(alive, delete_n))
        self.deleted.update(doomed)
        rest = [j for j in alive if j not in self.deleted]
        edit_n = min(len(rest), max(2, len(rest) // 15))
        edited = sorted(rng.sample(rest, edit_n))
        for j in edited:
            previous = self.edits.get(j)
            version = previous.version + 1 if previous else 1
            at = batch_start_ms + int(rng.random() * 30 * MINUTE_MS)
            self.edits[j] = DashboardEdit(version, at)
        return [self.dashboard_id(j) for j in doomed], [self.dashboard_id(j) for j in edited]
