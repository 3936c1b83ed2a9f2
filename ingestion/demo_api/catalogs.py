"""The catalogs: teams, services, environments, incident types, functionalities, users, alert
sources and alert urgencies, as ``/v1/<catalog>`` serves them (full scans by page number).

Base entries are the same for every seed (see :mod:`catalog`): incidents, alerts, dashboards
and action items refer to them by id, and the related objects incidents nest (services,
environments, groups) are built from the same entries, so ids always match. Each catalog
also holds one retired ("legacy") entry nothing refers to. Change batches rename entries,
add new ones and delete retired or added ones, so a deletion never leaves a reference
dangling. Records that nest a catalog entry (incidents, alerts, action items) keep the name
it had when they were written: only the catalog endpoint shows a rename.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cache, cached_property
from typing import Any

from ingestion.demo_api import catalog
from ingestion.demo_api.incident_render import slugify
from ingestion.demo_api.timeutil import DAY_MS, MINUTE_MS, iso_ms

#: The catalog list endpoints, in the order ground truth lists them.
CATALOGS: tuple[str, ...] = (
    "teams",
    "services",
    "environments",
    "incident_types",
    "functionalities",
    "users",
    "alert_sources",
    "alert_urgencies",
)
#: The JSON:API ``type`` of each catalog's records (teams are "groups" in this API).
JSONAPI_TYPES: dict[str, str] = {name: name for name in CATALOGS} | {"teams": "groups"}
#: One record of each catalog, for ``deleted_<singular>_ids`` in ground truth.
SINGULAR: dict[str, str] = {
    "teams": "team",
    "services": "service",
    "environments": "environment",
    "incident_types": "incident_type",
    "functionalities": "functionality",
    "users": "user",
    "alert_sources": "alert_source",
    "alert_urgencies": "alert_urgency",
}
_ID_PREFIX = {
    "services": "5e0a7c3d-1f42-4b8e-a6d1-",  # as catalog.SERVICES
    "environments": "e7d4b2a1-93c0-4f5b-8e27-",  # as catalog.ENVIRONMENTS
    "incident_types": "1a7c0f52-3e9b-4d61-b0c4-",
    "functionalities": "f3c29d18-6b07-4e5a-9f13-",
    "alert_sources": "a5e1c7b9-2d48-4f06-8c3a-",
    "alert_urgencies": "b8d2e4f6-1a3c-4e5b-9d7f-",
}
#: Catalogs were set up over the weeks before the first incident (2025-10-01 onwards).
CONFIGURED_MS = 1_759_305_600_000
_MANAGED_BY = ("web", "web", "web", "terraform", "api", "backstage")
_COLORS = ("#047857", "#1D4ED8", "#B91C1C", "#7C3AED", "#C2410C", "#0E7490", "#4D7C0F", "#BE185D")


def entry_id(kind: str, number: int) -> str:
    """The id of entry ``number`` (1-based) of a catalog: stable across seeds and batches."""
    if kind == "teams":
        return str(number)
    if kind == "users":
        return str(catalog.USER_BASE_ID + number - 1)
    return f"{_ID_PREFIX[kind]}{number:012d}"


@dataclass(frozen=True)
class Entry:
    """One catalog entry as currently stored; renames replace ``name`` and ``updated_ms``."""

    kind: str
    number: int  # 1-based position among every entry the catalog ever had
    name: str
    slug: str
    created_ms: int
    updated_ms: int
    revision: int = 0  # renames so far
    deletable: bool = False  # nothing refers to it (retired or added by a change batch)
    first_name: str = ""  # the name it was created with, when renamed since

    @cached_property
    def id(self) -> str:
        return entry_id(self.kind, self.number)

    @property
    def original(self) -> str:
        """The name the entry was created with (emails and nested copies keep it)."""
        return self.first_name or self.name


def _base_time(kind: str, number: int) -> tuple[int, int]:
    """(created, updated) of a base entry: fixed, before the data's first incident."""
    created = CONFIGURED_MS + CATALOGS.index(kind) * 3 * DAY_MS + number * 37 * MINUTE_MS
    return created, created + (number % 5) * 11 * DAY_MS + 90_000


def _user_name(number: int) -> str:
    """A unique name per user number (7 is prime to the surname count: no pair repeats)."""
    row, column = divmod(number - 1, len(catalog.FIRST_NAMES))
    last = catalog.LAST_NAMES[(row * 7 + column) % len(catalog.LAST_NAMES)]
    return f"{catalog.FIRST_NAMES[column]} {last}"


def _slug(name: str) -> str:
    return slugify(name, "entry")


def _base_entries(kind: str) -> tuple[Entry, ...]:
    pairs: list[tuple[str, str]]
    if kind == "teams":
        pairs = [(t.name, t.slug) for t in catalog.TEAMS]
    elif kind == "services":
        pairs = [(s.name, s.slug) for s in catalog.SERVICES]
    elif kind == "environments":
        pairs = [(e.name, e.slug) for e in catalog.ENVIRONMENTS]
    elif kind == "incident_types":
        pairs = list(catalog.INCIDENT_TYPES)
    elif kind == "functionalities":
        pairs = list(catalog.FUNCTIONALITIES)
    elif kind == "alert_sources":
        pairs = [(name, source_type) for name, source_type in catalog.ALERT_SOURCES]
    elif kind == "alert_urgencies":
        pairs = [(name, _slug(name)) for name, _, _ in catalog.ALERT_URGENCIES]
    else:
        total = catalog.USER_COUNT + catalog.LEGACY_USERS
        pairs = [(_user_name(n), _slug(_user_name(n))) for n in range(1, total + 1)]
    if kind in catalog.LEGACY_ENTRIES:
        pairs.append(catalog.LEGACY_ENTRIES[kind])
    regular = catalog.USER_COUNT if kind == "users" else len(pairs) - 1
    return tuple(
        Entry(kind, number, name, slug, *_base_time(kind, number), deletable=number > regular)
        for number, (name, slug) in enumerate(pairs, start=1)
    )


#: The base entries of every catalog, as the first batch finds them.
BASE: dict[str, tuple[Entry, ...]] = {kind: _base_entries(kind) for kind in CATALOGS}
#: Entries other records refer to: every base entry but the retired ones.
REFERABLE: dict[str, tuple[Entry, ...]] = {
    kind: tuple(e for e in entries if not e.deletable) for kind, entries in BASE.items()
}
USERS = REFERABLE["users"]
ALERT_URGENCY_ENTRIES = REFERABLE["alert_urgencies"]


def team_members(team_number: int) -> list[int]:
    """User ids of a base team's members: every eighth user (each user is in one team)."""
    teams = len(catalog.TEAMS)
    if team_number > teams:
        return []
    return [int(u.id) for u in USERS if (u.number - 1) % teams == team_number - 1]


def service_owner(service_number: int) -> Entry | None:
    """The team that owns a base service (None for an entry a change batch added)."""
    if service_number > len(catalog.SERVICE_OWNERS):
        return None
    return BASE["teams"][catalog.SERVICE_OWNERS[service_number - 1] - 1]


# ---------------------------------------------------------------------------- nested forms


@cache
def user_flat(user: Entry) -> dict[str, Any]:
    """A user as records nest it (the spec's ``user_flat_response``: an integer id).

    Built once per entry and shared by every record that nests it: treat it as read-only.
    """
    first, _, last = user.name.partition(" ")
    email = f"{_slug(user.original).replace('-', '.')}@example.com"
    return {
        "id": int(user.id),
        "name": user.name,
        "email": email,
        "phone": None,
        "phone_2": None,
        "first_name": first,
        "last_name": last or None,
        "preferred_name": None,
        "full_name": user.name,
        "full_name_with_team": None,
        "slack_id": f"U{int(user.id):08d}",
        "time_zone": catalog.TIME_ZONES[user.number % len(catalog.TIME_ZONES)],
        "created_at": iso_ms(user.created_ms),
        "updated_at": iso_ms(user.updated_ms),
    }


@cache
def embedded(entry: Entry) -> dict[str, Any]:
    """A catalog entry as an alert nests it: its id, name, slug and timestamps.

    Built once per entry and shared by every record that nests it: treat it as read-only.
    """
    return {
        "id": entry.id,
        "name": entry.name,
        "slug": entry.slug,
        "created_at": iso_ms(entry.created_ms),
        "updated_at": iso_ms(entry.updated_ms),
    }


# ---------------------------------------------------------------------------- records


def _channel(rng: random.Random, name: str) -> dict[str, str]:
    return {"id": f"C{rng.getrandbits(40):010X}", "name": name}


def _common(entry: Entry, rng: random.Random) -> dict[str, Any]:
    color = None if rng.random() < 0.2 else rng.choice(_COLORS)
    kind = SINGULAR[entry.kind].replace("_", " ")
    described = rng.random() < 0.6
    return {
        "name": entry.name,
        "slug": entry.slug,
        "description": f"The {entry.original} {kind}." if described else None,
        "managed_by": rng.choice(_MANAGED_BY),
        "notify_emails": [] if rng.random() < 0.6 else [f"{entry.slug}@example.com"],
        "color": color,
        "position": entry.number,
    }


def _stamps(entry: Entry) -> dict[str, str]:
    return {"created_at": iso_ms(entry.created_ms), "updated_at": iso_ms(entry.updated_ms)}


def _high_urgency() -> str:
    return ALERT_URGENCY_ENTRIES[0].id


def _team(entry: Entry, rng: random.Random) -> dict[str, Any]:
    members = team_members(entry.number)
    broadcast = rng.random() < 0.3
    return {
        **_common(entry, rng),
        "backstage_id": None,
        "external_id": None,
        "pagerduty_id": None if rng.random() < 0.5 else f"P{rng.getrandbits(30):07X}",
        "pagerduty_service_id": None,
        "opsgenie_id": None,
        "victor_ops_id": None,
        "pagertree_id": None,
        "cortex_id": None,
        "service_now_ci_sys_id": None,
        "user_ids": members,
        "admin_ids": members[:1],
        "alerts_email_enabled": False,
        "alerts_email_address": None,
        "alert_urgency_id": _high_urgency(),
        "slack_channels": [_channel(rng, f"team-{entry.slug}")],
        "slack_aliases": [],
        "alert_broadcast_enabled": False,
        "alert_broadcast_channel": None,
        "incident_broadcast_enabled": broadcast,
        "incident_broadcast_channel": _channel(rng, "incidents") if broadcast else None,
        "auto_add_members_when_attached": rng.random() < 0.5,
        "auto_add_members_scope": rng.choice(("off", "public_only", "all")),
        "properties": [],
        **_stamps(entry),
    }


def _service(entry: Entry, rng: random.Random) -> dict[str, Any]:
    owner = service_owner(entry.number)
    owners = team_members(owner.number)[:2] if owner else []
    environments = [e.id for e in REFERABLE["environments"][:2]]
    services = REFERABLE["services"]
    depends = [] if rng.random() < 0.5 else [rng.choice(services).id]
    return {
        **_common(entry, rng),
        "public_description": None if rng.random() < 0.5 else f"The {entry.name} service.",
        "backstage_id": None,
        "external_id": None,
        "pagerduty_id": None if rng.random() < 0.6 else f"P{rng.getrandbits(30):07X}",
        "opsgenie_id": None,
        "cortex_id": None,
        "service_now_ci_sys_id": None,
        "github_repository_name": f"acme/{entry.slug}",
        "github_repository_branch": "main",
        "gitlab_repository_name": None,
        "gitlab_repository_branch": None,
        "kubernetes_deployment_name": entry.slug if rng.random() < 0.7 else None,
        "environment_ids": environments,
        "service_ids": [d for d in depends if d != entry.id],
        "owner_group_ids": [owner.id] if owner else [],
        "owner_user_ids": owners,
        "alert_urgency_id": _high_urgency(),
        "escalation_policy_id": None,
        "alerts_email_enabled": False,
        "alerts_email_address": None,
        "slack_channels": [_channel(rng, f"svc-{entry.slug}")],
        "slack_aliases": [],
        "alert_broadcast_enabled": False,
        "alert_broadcast_channel": None,
        "incident_broadcast_enabled": False,
        "incident_broadcast_channel": None,
        "properties": [],
        **_stamps(entry),
    }


def _environment(entry: Entry, rng: random.Random) -> dict[str, Any]:
    return {
        **_common(entry, rng),
        "external_id": None,
        "slack_channels": [],
        "slack_aliases": [],
        "properties": [],
        **_stamps(entry),
    }


def _incident_type(entry: Entry, rng: random.Random) -> dict[str, Any]:
    common = _common(entry, rng)
    del common["managed_by"]  # incident types have no managed_by in the spec
    return {**common, "slack_channels": [], "slack_aliases": [], "properties": [], **_stamps(entry)}


def _functionality(entry: Entry, rng: random.Random) -> dict[str, Any]:
    services = REFERABLE["services"]
    service = services[(entry.number * 3) % len(services)]
    owner = service_owner(service.number)
    return {
        **_common(entry, rng),
        "public_description": None,
        "backstage_id": None,
        "external_id": None,
        "pagerduty_id": None,
        "opsgenie_id": None,
        "opsgenie_team_id": None,
        "cortex_id": None,
        "service_now_ci_sys_id": None,
        "environment_ids": [REFERABLE["environments"][0].id],
        "service_ids": [service.id] if entry.number <= len(catalog.FUNCTIONALITIES) else [],
        "owner_group_ids": [owner.id] if owner and not entry.deletable else [],
        "owner_user_ids": [],
        "escalation_policy_id": None,
        "slack_channels": [],
        "slack_aliases": [],
        "properties": [],
        **_stamps(entry),
    }


def _user(entry: Entry, rng: random.Random) -> dict[str, Any]:
    flat = user_flat(entry)
    team_number = (entry.number - 1) % len(catalog.TEAMS) + 1
    team = catalog.TEAMS[team_number - 1].name
    legacy = entry.number > catalog.USER_COUNT
    return {
        "email": flat["email"],
        "first_name": flat["first_name"],
        "last_name": flat["last_name"],
        "full_name": entry.name,
        "full_name_with_team": entry.name if legacy else f"{entry.name} ({team})",
        "time_zone": None if rng.random() < 0.1 else flat["time_zone"],
        **_stamps(entry),
    }


def _alert_source(entry: Entry, rng: random.Random) -> dict[str, Any]:
    source_type = source_type_of(entry)
    email = source_type == "email"
    return {
        "name": entry.name,
        "enabled": not entry.deletable,
        "source_type": source_type,
        "alert_urgency_id": ALERT_URGENCY_ENTRIES[1].id,
        "deduplicate_alerts_by_key": rng.random() < 0.5,
        "deduplication_key_kind": "payload",
        "deduplication_key_path": None,
        "deduplication_key_regexp": None,
        "owner_group_ids": [BASE["teams"][0].id],
        "alert_template_attributes": {"title": None, "external_url": None},
        "alert_source_urgency_rules_attributes": [],
        "sourceable_attributes": None,
        "resolution_rule_attributes": None,
        "alert_source_fields_attributes": [],
        "status": "setup_incomplete" if entry.deletable else "connected",
        # a demo value: the real API returns the source's webhook secret here
        "secret": f"demo-{rng.getrandbits(64):016x}",
        "email": f"alerts+{entry.slug}@incidents.example.com" if email else None,
        "webhook_endpoint": None
        if email
        else f"https://incidents.example.com/webhooks/incoming/{entry.id}",
        **_stamps(entry),
    }


def _alert_urgency(entry: Entry, rng: random.Random) -> dict[str, Any]:
    known = entry.number <= len(catalog.ALERT_URGENCIES)
    description = catalog.ALERT_URGENCIES[entry.number - 1][1] if known else "Not paged."
    color = catalog.ALERT_URGENCIES[entry.number - 1][2] if known else None
    return {
        "id": entry.id,
        "name": entry.name,
        "description": description,
        "position": entry.number,
        "urgency": entry.slug if known else None,
        "color": color,
        "team_id": 1,
        "deleted_at": None,
        **_stamps(entry),
    }


def source_type_of(entry: Entry) -> str:
    """The spec's ``source_type`` of an alert source entry."""
    if entry.number <= len(catalog.ALERT_SOURCES):
        return catalog.ALERT_SOURCES[entry.number - 1][1]
    if entry.deletable and entry.slug == catalog.LEGACY_ENTRIES["alert_sources"][1]:
        return "nagios"
    return catalog.NEW_SOURCE_TYPES.get(entry.name.split(" (")[0], "generic_webhook")


_RENDER: dict[str, Callable[[Entry, random.Random], dict[str, Any]]] = {
    "teams": _team,
    "services": _service,
    "environments": _environment,
    "incident_types": _incident_type,
    "functionalities": _functionality,
    "users": _user,
    "alert_sources": _alert_source,
    "alert_urgencies": _alert_urgency,
}


def render_entry(entry: Entry) -> dict[str, Any]:
    """The JSON:API record of a catalog entry as currently stored."""
    rng = random.Random(f"demo-api/catalog/{entry.kind}/{entry.number}")
    record: dict[str, Any] = {
        "id": entry.id,
        "type": JSONAPI_TYPES[entry.kind],
        "attributes": _RENDER[entry.kind](entry, rng),
    }
    if entry.kind == "users":
        admin = entry.number % 25 == 1
        on_call = entry.number % 3 == 0 and entry.number <= catalog.USER_COUNT
        record["relationships"] = {
            "role": {"data": {"id": "admin" if admin else "user", "type": "roles"}},
            "on_call_role": {
                "data": {"id": "responder", "type": "on_call_roles"} if on_call else None
            },
        }
    return record


# ---------------------------------------------------------------------------- changes


@dataclass
class CatalogState:
    """Every catalog's current entries (in list order) and the ids deleted so far."""

    entries: dict[str, list[Entry]] = field(
        default_factory=lambda: {kind: list(BASE[kind]) for kind in CATALOGS}
    )
    deleted: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in CATALOGS})
    #: entries each catalog ever had (numbers of added entries continue from here)
    numbers: dict[str, int] = field(default_factory=lambda: {k: len(BASE[k]) for k in CATALOGS})

    def apply_batch(self, rng: random.Random, batch: int, start_ms: int) -> dict[str, Any]:
        """Rename one entry; on odd batches add one, on even ones delete a deletable one.

        Returns what changed, as ``{"renamed": [ids], "added": [ids], "deleted": [ids]}``
        with each id prefixed by its catalog (``services:<id>``).
        """
        summary: dict[str, list[str]] = {"renamed": [], "added": [], "deleted": []}
        kind = rng.choice(CATALOGS)
        alive = self.entries[kind]
        if alive:
            k = rng.randrange(len(alive))
            entry = alive[k]
            at = start_ms + int(rng.random() * 30 * MINUTE_MS)
            revision = entry.revision + 1
            name = _renamed(entry, revision)
            alive[k] = replace(
                entry, name=name, updated_ms=at, revision=revision, first_name=entry.original
            )
            summary["renamed"].append(f"{kind}:{entry.id}")
        if batch % 2:
            kind = rng.choice(CATALOGS)
            number = self.numbers[kind] + 1
            self.numbers[kind] = number
            pool = catalog.NEW_ENTRY_NAMES[kind]
            added = number - len(BASE[kind]) - 1
            name = pool[added % len(pool)]
            if added >= len(pool):
                name = f"{name} {added // len(pool) + 1}"
            at = start_ms + int(rng.random() * 30 * MINUTE_MS)
            entry = Entry(kind, number, name, _slug(name), at, at, deletable=True)
            self.entries[kind].append(entry)
            summary["added"].append(f"{kind}:{entry.id}")
        else:
            candidates = [
                (kind, k)
                for kind in CATALOGS
                for k, entry in enumerate(self.entries[kind])
                if entry.deletable
            ]
            if candidates:
                kind, k = candidates[rng.randrange(len(candidates))]
                entry = self.entries[kind].pop(k)
                self.deleted[kind].append(entry.id)
                summary["deleted"].append(f"{kind}:{entry.id}")
        return summary


def _renamed(entry: Entry, revision: int) -> str:
    """The name after rename number ``revision``: a new surname for people, a revision tag
    for everything else (slugs stay, as they do in the real product)."""
    if entry.kind == "users":
        first = entry.name.split(" ")[0]
        names = catalog.LAST_NAMES
        start = entry.number + revision * 5
        lasts = (names[(start + k) % len(names)] for k in range(len(names)))
        return next(n for n in (f"{first} {last}" for last in lasts) if n != entry.name)
    return f"{entry.original} (rev {revision})"
