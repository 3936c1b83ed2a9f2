"""Turn one row of the incident columns into the JSON:API record the API serves.

Only the rows of the requested page are rendered. Text, relationships and labels come from a
``random.Random`` seeded by (seed, record number), so a record is identical on every render
and on every server with the same seed; the change version only appends update notes to
the summary, so edits are visible without rewriting history.
"""

from __future__ import annotations

import random
import re
import uuid
from typing import Any

from ingestion.demo_api import catalog
from ingestion.demo_api.catalog import KINDS, SEVERITIES, STATUSES, Named
from ingestion.demo_api.incident_table import IncidentTable
from ingestion.demo_api.timeutil import iso_ms, iso_or_none

_SLUG_DROP = re.compile(r"[^a-z0-9]+")


def stable_uuid(rng: random.Random) -> str:
    """A UUID-4-shaped id drawn from ``rng`` (deterministic, unlike uuid.uuid4)."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def slugify(text: str, fallback: str) -> str:
    """ASCII slug of ``text``; ``fallback`` when nothing ASCII is left (e.g. CJK titles)."""
    slug = _SLUG_DROP.sub("-", text.lower()).strip("-")
    return slug or fallback


def nested(kind: str, item: Named) -> dict[str, Any]:
    """A related resource as the API nests it: ``{"data": {id, type, attributes}}``."""
    return {
        "data": {"id": item.id, "type": kind, "attributes": {"name": item.name, "slug": item.slug}}
    }


def _severity_object(sev: catalog.Severity) -> dict[str, Any]:
    return {
        "data": {
            "id": sev.id,
            "type": "severities",
            "attributes": {
                "name": sev.name,
                "slug": sev.name.lower(),
                "description": sev.description,
                "severity": sev.level,
                "color": sev.color,
                "position": sev.position,
                "created_at": catalog.SEVERITY_CREATED_AT,
                "updated_at": catalog.SEVERITY_UPDATED_AT,
            },
        }
    }


# Nested objects are built once and shared by every record: rendering is on the hot path.
# Records are serialised straight away, so nobody mutates them; treat them as read-only.
_SEVERITY_OBJECTS: tuple[dict[str, Any] | None, ...] = (
    *(_severity_object(sev) for sev in SEVERITIES),
    None,
)
_SERVICE_OBJECTS = tuple(nested("services", s) for s in catalog.SERVICES)
_ENVIRONMENT_OBJECTS = tuple(nested("environments", e) for e in catalog.ENVIRONMENTS)
_TEAM_OBJECTS = tuple(nested("groups", t) for t in catalog.TEAMS)


def severity_object(code: int) -> dict[str, Any] | None:
    """The nested severity resource, or None (code ``NO_SEVERITY``)."""
    return _SEVERITY_OBJECTS[code]


def _title(rng: random.Random) -> str:
    if rng.random() < 0.08:
        return rng.choice(catalog.UNICODE_TITLES)
    qualifier = rng.choice(catalog.TITLE_QUALIFIERS).format(
        service=rng.choice(catalog.SERVICES).name,
        environment=rng.choice(catalog.ENVIRONMENTS).name.lower(),
    )
    return f"{rng.choice(catalog.TITLE_SUBJECTS)} {qualifier}"


def _summary(rng: random.Random, index: int, version: int) -> str | None:
    roll = rng.random()
    if roll < 0.15:
        text = None
    elif roll < 0.20:
        # Several KB of text: long postmortem-style summaries exist in real data.
        paragraphs = [" ".join(rng.choices(catalog.SUMMARY_SENTENCES, k=12)) for _ in range(8)]
        text = "\n\n".join(paragraphs)
    else:
        text = " ".join(rng.sample(catalog.SUMMARY_SENTENCES, k=rng.randint(1, 3)))
    if version:
        notes = " ".join(
            catalog.UPDATE_SENTENCES[(index + v) % len(catalog.UPDATE_SENTENCES)]
            for v in range(1, version + 1)
        )
        text = f"{text} {notes}" if text else notes
    return text


def _labels(rng: random.Random) -> dict[str, str] | None:
    roll = rng.random()
    if roll < 0.15:
        return None
    if roll < 0.40:
        return {}
    keys = rng.sample(catalog.LABEL_KEYS, k=rng.randint(1, 4))
    return {key: rng.choice(catalog.LABEL_VALUES) for key in keys}


def _pick(rng: random.Random, items: tuple, empty_share: float, most: int) -> list:
    roll = rng.random()
    if roll < empty_share:
        return []
    count = 1 + int((roll - empty_share) / (1 - empty_share) * most)
    first = int(rng.random() * len(items))
    # consecutive distinct items from a random start: cheaper than random.sample
    return [items[(first + k * 5) % len(items)] for k in range(min(count, most))]


def _env_code(roll: float) -> int:
    """Map a roll in [0.2, 1) onto environments by their weights."""
    position = (roll - 0.2) / 0.8 * sum(catalog.ENVIRONMENT_WEIGHTS)
    for code, weight in enumerate(catalog.ENVIRONMENT_WEIGHTS):
        position -= weight
        if position < 0:
            return code
    return len(catalog.ENVIRONMENT_WEIGHTS) - 1


def incident_id(seed: int, i: int) -> str:
    """Record id of incident index ``i`` without rendering it (the first draw of its rng)."""
    return stable_uuid(random.Random(f"demo-api/incident/{seed}/{i}"))


def incident_title(seed: int, i: int) -> str:
    """Title of incident index ``i`` without rendering it (the draw after its id)."""
    rng = random.Random(f"demo-api/incident/{seed}/{i}")
    stable_uuid(rng)
    return _title(rng)


def render_incident(seed: int, table: IncidentTable, i: int) -> dict[str, Any]:
    """The full JSON:API record of incident index ``i`` as currently stored."""
    rng = random.Random(f"demo-api/incident/{seed}/{i}")
    record_id = stable_uuid(rng)
    sequential_id = i + 1
    title = _title(rng)
    slug = slugify(title, f"incident-{sequential_id}")
    env_roll = rng.random()
    environments = [] if env_roll < 0.2 else [_ENVIRONMENT_OBJECTS[_env_code(env_roll)]]
    attributes: dict[str, Any] = {
        "sequential_id": sequential_id,
        "title": title,
        "slug": slug,
        "kind": KINDS[table.kind[i]],
        "parent_incident_id": None,
        "summary": _summary(rng, i, table.version[i]),
        "private": rng.random() < 0.05,
        "source": rng.choices(catalog.SOURCES, catalog.SOURCE_WEIGHTS)[0],
        "status": STATUSES[table.status[i]],
        "url": f"{catalog.INCIDENT_URL_BASE}{sequential_id}-{slug}",
        "severity": severity_object(table.severity[i]),
        "services": _pick(rng, _SERVICE_OBJECTS, 0.15, 3),
        "environments": environments,
        "groups": _pick(rng, _TEAM_OBJECTS, 0.1, 2),
        "labels": _labels(rng),
        "created_at": iso_ms(table.created[i]),
        "updated_at": iso_ms(table.updated[i]),
        "started_at": iso_or_none(table.started[i]),
        "detected_at": iso_or_none(table.detected[i]),
        "acknowledged_at": iso_or_none(table.acknowledged[i]),
        "mitigated_at": iso_or_none(table.mitigated[i]),
        "resolved_at": iso_or_none(table.resolved[i]),
        "closed_at": iso_or_none(table.closed[i]),
        "cancelled_at": iso_or_none(table.cancelled[i]),
    }
    return {"id": record_id, "type": "incidents", "attributes": attributes}
