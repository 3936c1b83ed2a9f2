"""Injectable faults: the ways real APIs misbehave that an ELT pipeline must survive.

Each fault has one name, used both as a CLI flag (``--error-rate``) and as a key of the
runtime ``POST /_demo/faults`` body (``error_rate`` or ``error-rate``). Random faults are
drawn from the seed and the request's URL and attempt number, so a run is reproducible.

Besides broken responses there are differences between API versions and behaviours of a
live system: an older server without cursor paging (``no_cursor_paging``), paging metadata
left out (``omit_meta``, ``omit_links``), and data that changes while a client pages
(``churn_per_page``, ``churn_delete_share``). The response faults honour
``fault_resource``; cursor paging (incidents and alerts) ignores it, and churn updates
incidents unless it names ``alerts`` (then alerts change after each alerts page; alerts are
never deleted, so ``churn_delete_share`` does not apply to them).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timedelta, timezone
from typing import Any

from ingestion.demo_api.more import MORE_LISTS
from ingestion.demo_api.timeutil import epoch_seconds_from_iso

#: What ``fault_resource`` may name: each list endpoint (a nested incident's action items
#: count as ``action_items``); severities are only ever hit by faults for every resource.
RESOURCES = ("incidents", "dashboards", *MORE_LISTS)
RETYPE_TARGETS = ("string", "int", "float", "bool", "null", "object", "array")
ERROR_STATUSES = (500, 502, 503)
#: Keys of a list response's ``meta`` that ``omit_meta`` may leave out.
META_KEYS = ("current_page", "next_page", "prev_page", "total_count", "total_pages", "next_cursor")
_BOOL_KEYS = (
    "always_429",
    "no_cursor_paging",
    "omit_links",
    "local_offsets",
    "omit_null_attributes",
)
#: UTC offsets `local_offsets` writes timestamps in: the vendor's examples use local ones
#: (`2025-07-12T00:17:06.037-07:00`). +10:00 and -07:00 are the adversarial pair: a later
#: instant in -07:00 reads earlier, as text, than an earlier one in +10:00.
LOCAL_OFFSETS = ("+10:00", "-07:00", "+05:30", "-03:00", "+00:00", "Z", "+01:00", "-09:30")
_SHARE_KEYS = ("error_rate", "duplicate_rate", "churn_delete_share")


@dataclass
class Faults:
    """Fault flags; the defaults mean a well-behaved API."""

    error_rate: float = 0.0  # share of /v1 requests answered 500/502/503
    error_status: int | None = None  # use this status for --error-rate instead of 500/502/503
    slow_ms: int = 0  # delay every /v1 response
    truncate_page: int | None = None  # cut this page's JSON body in the middle
    html_page: int | None = None  # answer this page with 200 text/html
    no_data_page: int | None = None  # answer this page with JSON lacking "data"
    rename_field: list[tuple[str, str]] = field(default_factory=list)  # OLD=NEW
    retype_field: list[tuple[str, str]] = field(default_factory=list)  # NAME=TYPE
    fault_from_page: int = 1  # rename/retype apply from this page number on
    duplicate_rate: float = 0.0  # repeat records of the previous page at the top of a page
    always_429: bool = False  # every /v1 request is rate limited
    fail_after_pages: int | None = None  # serve N pages, then 500 forever
    max_page_size: int | None = None  # refuse a larger page[size] with a 400 (a stricter API)
    fault_resource: str | None = None  # one of RESOURCES; None = every list
    no_cursor_paging: bool = False  # an older server: no meta.next_cursor, page[after] ignored
    omit_meta: list[str] = field(default_factory=list)  # leave these keys out of meta
    omit_links: bool = False  # no links object in list responses
    churn_per_page: float = 0.0  # live updates after each 200 incidents (or alerts) page
    churn_delete_share: float = 0.0  # share of live updates that delete the incident
    local_offsets: bool = False  # write timestamps in a mix of local UTC offsets
    omit_null_attributes: bool = False  # leave attributes whose value is null out of records

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Faults:
        """Build from CLI-style or runtime keys; raises ValueError on unknown or bad values."""
        known = {f.name for f in fields(cls)}
        faults = cls()
        for raw_key, value in values.items():
            key = raw_key.replace("-", "_")
            if key not in known:
                raise ValueError(f"unknown fault {raw_key!r}; known: {', '.join(sorted(known))}")
            if value is None:
                continue
            setattr(faults, key, _parse_value(key, value))
        return faults

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rename_field"] = [f"{a}={b}" for a, b in self.rename_field]
        data["retype_field"] = [f"{a}={b}" for a, b in self.retype_field]
        return data

    def applies_to(self, resource: str) -> bool:
        return self.fault_resource is None or self.fault_resource == resource

    @property
    def churn_resource(self) -> str:
        """The list ``churn_per_page`` changes: alerts when ``fault_resource`` names them."""
        return "alerts" if self.fault_resource == "alerts" else "incidents"

    @property
    def mutates_records(self) -> bool:
        return bool(self.rename_field or self.retype_field)


def _parse_value(key: str, value: Any) -> Any:
    """One fault value from CLI or JSON form, checked; ValueError names the key."""
    if key in ("rename_field", "retype_field"):
        return parse_pairs(key, value)
    if key == "omit_meta":
        return parse_meta_keys(value)
    if key in _SHARE_KEYS:
        share = float(value)
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"{key} must be within [0, 1]")
        return share
    if key == "churn_per_page":
        rate = float(value)
        if not 0.0 <= rate <= 1000.0:
            raise ValueError("churn_per_page must be within [0, 1000]")
        return rate
    if key in _BOOL_KEYS:
        return bool(value)
    if key == "fault_resource":
        if value not in RESOURCES:
            raise ValueError(f"fault_resource must be one of {RESOURCES}")
        return value
    return int(value)


def parse_meta_keys(value: Any) -> list[str]:
    """``"a,b"``, ``["a", "b,c"]`` -> ``["a", "b", "c"]``, each one of :data:`META_KEYS`."""
    items = [value] if isinstance(value, str) else list(value)
    keys = [part.strip() for item in items for part in str(item).split(",") if part.strip()]
    unknown = [key for key in keys if key not in META_KEYS]
    if unknown:
        raise ValueError(f"omit_meta keys must be among {', '.join(META_KEYS)}; got {unknown}")
    return list(dict.fromkeys(keys))


def parse_pairs(name: str, value: Any) -> list[tuple[str, str]]:
    """``"a=b"``, ``["a=b", "c=d"]`` or ``{"a": "b"}`` -> ``[("a", "b"), ...]``."""
    if isinstance(value, Mapping):
        items = [f"{k}={v}" for k, v in value.items()]
    elif isinstance(value, str):
        items = [value]
    else:
        items = list(value)
    pairs = []
    for item in items:
        left, sep, right = str(item).partition("=")
        if not sep or not left or not right:
            raise ValueError(f"{name} wants OLD=NEW pairs, got {item!r}")
        if name == "retype_field" and right not in RETYPE_TARGETS:
            raise ValueError(f"retype_field type must be one of {RETYPE_TARGETS}, got {right!r}")
        pairs.append((left, right))
    return pairs


def error_status_for(faults: Faults, seed: int, url: str, attempt: int) -> int | None:
    """The error status to answer this request with under ``--error-rate``, or None.

    Drawn from (seed, URL, attempt): a retried URL gets a fresh, reproducible draw.
    """
    if faults.error_rate <= 0:
        return None
    rng = random.Random(f"demo-api/fault/{seed}/{url}/{attempt}")
    if rng.random() >= faults.error_rate:
        return None
    return faults.error_status or rng.choice(ERROR_STATUSES)


def duplicates_for(faults: Faults, seed: int, resource: str, page: int, previous: list) -> list:
    """Records of the previous page to repeat at the top of ``page`` (shifted-data fault)."""
    if faults.duplicate_rate <= 0 or page <= 1 or not previous:
        return []
    rng = random.Random(f"demo-api/duplicate/{seed}/{resource}/{page}")
    return [item for item in previous if rng.random() < faults.duplicate_rate]


def _retype(value: Any, target: str) -> Any:
    if target == "null":
        return None
    if target == "string":
        if value is None or isinstance(value, str):
            return value
        return (
            json.dumps(value, ensure_ascii=False) if isinstance(value, dict | list) else str(value)
        )
    if target in ("int", "float"):
        number: float
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                try:
                    number = epoch_seconds_from_iso(value)
                except ValueError:
                    number = len(value)
        elif isinstance(value, bool | int | float):
            number = value
        elif value is None:
            number = 0
        else:
            number = len(value)
        return int(number) if target == "int" else float(number)
    if target == "bool":
        return bool(value)
    if target == "object":
        return {"value": value}
    return [value]


def _in_offset(value: str, offset: str) -> str:
    """`2026-03-01T12:00:00.000Z` written as the same instant in `offset`."""
    if offset == "Z":
        return value
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    sign = -1 if offset[0] == "-" else 1
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    local = moment.astimezone(timezone(sign * timedelta(hours=hours, minutes=minutes)))
    return local.isoformat(timespec="milliseconds")


def localize_timestamps(seed: int, record: dict[str, Any]) -> dict[str, Any]:
    """A copy of `record` whose `*_at` attributes are written in local offsets.

    The offset is drawn per record and version (its `updated_at`), so one record keeps its
    offset until it changes, and a change may move it to another offset.
    """
    attributes = dict(record.get("attributes", {}))
    key = f"demo-api/offset/{seed}/{record.get('id')}/{attributes.get('updated_at')}"
    offset = random.Random(key).choice(LOCAL_OFFSETS)
    for name, value in attributes.items():
        if name.endswith("_at") and isinstance(value, str) and value.endswith("Z"):
            attributes[name] = _in_offset(value, offset)
    return {**record, "attributes": attributes}


def drop_null_attributes(record: dict[str, Any]) -> dict[str, Any]:
    """A copy of `record` without its null attributes, as many JSON:API servers send it."""
    attributes = {k: v for k, v in record.get("attributes", {}).items() if v is not None}
    return {**record, "attributes": attributes}


def mutate_attributes(faults: Faults, record: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``record`` with attributes renamed/retyped as the faults say."""
    attributes = dict(record.get("attributes", {}))
    for name, target in faults.retype_field:
        if name in attributes:
            attributes[name] = _retype(attributes[name], target)
    for old, new in faults.rename_field:
        if old in attributes:
            attributes[new] = attributes.pop(old)
    return {**record, "attributes": attributes}
