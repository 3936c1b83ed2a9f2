"""The REST API source: the `rest_api_source` config the project started from, valid on dlt.

What changed from that starting config, and why (see ../shared/reference/facts.md):
- `error_handler` is not an endpoint key in dlt; retries live in the HTTP session
  (`ingestion.http.ApiSession`), configured by dlt's standard `runtime.request_*` settings.
- The `page_number` paginator takes no `limit_param`/`limit`, and it raises when a response
  lacks `meta.total_pages`: pages go through `ingestion.paging.JsonApiPaginator` instead,
  which pages by `page[number]` (page size as the endpoint param `page[size]`), follows
  `meta.next_cursor` where the API offers it, keysets incidents on `updated_at` so that
  paging stays complete while records change, and stops on whichever end-of-list signal
  the API sends.
Everything else is as the starting config intended: bearer token from
`dlt.secrets["api_key"]`, JSON:API `data` envelope, merge on `id`. Adding a resource is adding
an entry to `RESOURCES`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dlt.common.jsonpath import compile_path
from dlt.sources.rest_api import rest_api_source
from dlt.sources.rest_api.typing import RESTAPIConfig

from ingestion.arrow_pages import ROOT_COLUMNS, BatchPages, PagesToArrow
from ingestion.contract import ATTRIBUTES_SCHEMA, CONTRACT
from ingestion.deletions import DeletionCheck, deletions_resource
from ingestion.full_scans import ScanRepeats
from ingestion.http import ApiSession
from ingestion.paging import (
    PAGINATOR_TYPE,
    UPDATED_AT_FILTER,
    UPDATED_AT_PATH,
    updated_at_keyset,
)
from ingestion.records import check_record, utc_cursor, utc_text
from ingestion.rereads import ReReads
from ingestion.settings import SOURCE_NAME, Settings

# JSON paths compiled once: dlt re-parses string paths on every page (6% of extract).
DATA = compile_path("data")


def _column(data_type: str, nullable: bool = True) -> dict[str, Any]:
    """A fresh hint dict per column: dlt writes the column name into the dict it is given."""
    return {"data_type": data_type, "nullable": nullable}


# Columns the staging models rely on. Declaring them means they exist (typed) even when a
# page carries only nulls for them, and `check_record` rejects a record that renamed or
# retyped one, before anything is loaded.
INCIDENT_COLUMNS: dict[str, dict[str, Any]] = {
    "id": _column("text", nullable=False),
    "type": _column("text"),
    "attributes__sequential_id": _column("bigint"),
    "attributes__title": _column("text"),
    "attributes__slug": _column("text"),
    "attributes__summary": _column("text"),
    "attributes__kind": _column("text"),
    "attributes__status": _column("text"),
    "attributes__private": _column("bool"),
    "attributes__source": _column("text"),
    "attributes__url": _column("text"),
    # free-form key/value labels: one JSON column, not a column per key
    "attributes__labels": _column("json"),
    "attributes__severity__data__id": _column("text"),
    "attributes__severity__data__type": _column("text"),
    "attributes__severity__data__attributes__name": _column("text"),
    "attributes__severity__data__attributes__slug": _column("text"),
    "attributes__severity__data__attributes__description": _column("text"),
    "attributes__severity__data__attributes__severity": _column("text"),
    "attributes__severity__data__attributes__color": _column("text"),
    "attributes__severity__data__attributes__position": _column("bigint"),
    "attributes__severity__data__attributes__created_at": _column("timestamp"),
    "attributes__severity__data__attributes__updated_at": _column("timestamp"),
    "attributes__created_at": _column("timestamp"),
    "attributes__updated_at": _column("timestamp"),
    "attributes__started_at": _column("timestamp"),
    "attributes__detected_at": _column("timestamp"),
    "attributes__acknowledged_at": _column("timestamp"),
    "attributes__mitigated_at": _column("timestamp"),
    "attributes__resolved_at": _column("timestamp"),
    "attributes__closed_at": _column("timestamp"),
    "attributes__cancelled_at": _column("timestamp"),
}

DASHBOARD_COLUMNS: dict[str, dict[str, Any]] = {
    "id": _column("text", nullable=False),
    "type": _column("text"),
    "attributes__team_id": _column("bigint"),
    "attributes__user_id": _column("bigint"),
    "attributes__name": _column("text"),
    "attributes__description": _column("text"),
    "attributes__owner": _column("text"),
    "attributes__public": _column("bool"),
    "attributes__range": _column("text"),
    "attributes__period": _column("text"),
    "attributes__auto_refresh": _column("bool"),
    "attributes__color": _column("text"),
    "attributes__icon": _column("text"),
    "attributes__created_at": _column("timestamp"),
    "attributes__updated_at": _column("timestamp"),
}


# JSON Schema types of the contract -> dlt data types, for the scalar attributes.
CONTRACT_TYPES = {"string": "text", "integer": "bigint", "boolean": "bool"}


# Lists whose items hold values of any type (the spec's `oneOf`): kept as one JSON column,
# like an incident's labels, rather than a child table whose value column changes type.
FREE_FORM: dict[str, tuple[str, ...]] = {"alerts": ("labels",)}


def contract_columns(resource: str) -> dict[str, dict[str, Any]]:
    """Hints for a resource's scalar attributes, typed as `api_contract.json` types them
    (a string attribute named `*_at` is a timestamp). Lists and objects are left to dlt
    (child tables, flattened columns). As for incidents, `check_record` then rejects a
    record that renamed a required one or retyped any of them, before anything is loaded."""
    definition = CONTRACT["$defs"][ATTRIBUTES_SCHEMA[resource]]
    columns = {"id": _column("text", nullable=False), "type": _column("text")}
    for name, spec in definition["properties"].items():
        kinds = spec.get("type")
        kinds = [kinds] if isinstance(kinds, str) else list(kinds or [])
        scalar = [kind for kind in kinds if kind != "null"]
        free_form = scalar == ["object"] and "properties" not in spec
        if free_form or name in FREE_FORM.get(resource, ()):
            # free-form (an alert's `data` payload, key/value labels): one JSON column, since
            # its keys and value types vary from record to record
            columns[f"attributes__{name}"] = _column("json")
            continue
        if len(scalar) != 1 or scalar[0] not in CONTRACT_TYPES:
            continue
        data_type = CONTRACT_TYPES[scalar[0]]
        if data_type == "text" and name.endswith("_at"):
            data_type = "timestamp"
        columns[f"attributes__{name}"] = _column(data_type)
    return columns


# Lists without a filter: a full scan by page number every run, loaded with scd2 (history;
# a record gone upstream is retired). Resource name -> API path (teams are type `groups`).
CATALOGS: dict[str, str] = {
    "teams": "teams",
    "services": "services",
    "severities": "severities",
    "environments": "environments",
    "incident_types": "incident_types",
    "functionalities": "functionalities",
    "users": "users",
    "alert_sources": "alert_sources",
    "alert_urgencies": "alert_urgencies",
}
# Follow-ups of an incident: full scans too, each record names its incident.
FOLLOW_UPS: tuple[str, ...] = ("action_items", "post_mortems")
INCIDENT_LINK = "relationships__incident__data__id"
# Fields of nested objects that the dbt models read (the incident link included): hinted so
# that their columns exist, typed, even when every record of a load leaves them null.
NESTED_COLUMNS: dict[str, dict[str, dict[str, Any]]] = {
    "alerts": {
        "attributes__alert_urgency__id": _column("text"),
        "attributes__alert_urgency__name": _column("text"),
    },
    "action_items": {
        "attributes__assigned_to__id": _column("bigint"),
        "attributes__created_by__id": _column("bigint"),
        INCIDENT_LINK: _column("text"),
    },
    "post_mortems": {INCIDENT_LINK: _column("text")},
}
ALERT_COLUMNS = contract_columns("alerts") | NESTED_COLUMNS["alerts"]
FULL_SCAN_COLUMNS: dict[str, dict[str, dict[str, Any]]] = {
    name: contract_columns(name) | NESTED_COLUMNS.get(name, {}) for name in (*CATALOGS, *FOLLOW_UPS)
}
SCD2 = {"disposition": "merge", "strategy": "scd2"}
# The full scans that may skip runs (`sources.analytics_api.full_scan_hours`); dashboards are
# read every run (`ingestion.full_scans`).
CADENCED_SCANS: tuple[str, ...] = tuple(FULL_SCAN_COLUMNS)


# A sync can read one record twice in a run (updated while the run pages past it): the merge
# keeps the version with the latest `updated_at` (dlt's default keeps either). `ingestion.
# rereads` relies on it: the fingerprint it keeps is the newest version it passed.
def newest_version_wins() -> dict[str, dict[str, Any]]:
    return {"attributes__updated_at": _column("timestamp") | {"dedup_sort": "desc"}}


# Resources whose pages are handed to dlt as Arrow tables (see ingestion/arrow_pages.py):
# the high-volume ones. Dashboards stay on dlt's JSON path, which its scd2 strategy expects.
ARROW_RESOURCES: dict[str, dict[str, dict[str, Any]]] = {
    "incidents": INCIDENT_COLUMNS,
    "alerts": ALERT_COLUMNS,
}


@dataclass(frozen=True)
class Backfill:
    """Re-read incidents updated in [start, end] without moving the stored cursor.

    dlt does not persist incremental state when an `end_value` is set, so a backfill can
    run at any time, in any order, beside the regular hourly sync.
    """

    start: str
    end: str


def incidents_endpoint(settings: Settings, backfill: Backfill | None = None) -> dict[str, Any]:
    """Server-side filtered and sorted by `updated_at`, so a sync reads only changed pages."""
    return updated_at_endpoint("incidents", settings, backfill)


def updated_at_endpoint(
    path: str, settings: Settings, backfill: Backfill | None = None
) -> dict[str, Any]:
    """An endpoint with `filter[updated_at]` and `sort=updated_at` (incidents, alerts)."""
    params: dict[str, Any] = {
        "sort": "updated_at",
        UPDATED_AT_FILTER: "{incremental.start_value}",
    }
    incremental: dict[str, Any] = {"cursor_path": UPDATED_AT_PATH}
    # cursor values in the one UTC form the records are rewritten to (`utc_cursor`): dlt
    # compares them as text
    if backfill:
        params["filter[updated_at][lte]"] = "{incremental.end_value}"
        incremental |= {
            "initial_value": utc_text(backfill.start) or backfill.start,
            "end_value": utc_text(backfill.end) or backfill.end,
        }
    else:
        # `lag` re-reads a window before the cursor: records updated in the same second
        # as the last run's newest one are not missed; merge on `id` absorbs the overlap.
        start = utc_text(settings.initial_updated_at) or settings.initial_updated_at
        incremental |= {"initial_value": start, "lag": settings.lag_seconds}
    return {
        "path": path,
        "params": params,
        "incremental": incremental,
        # keyset on updated_at: complete while incidents change during the run
        "paginator": updated_at_keyset(),
    }


def resources(
    settings: Settings,
    backfill: Backfill | None = None,
    repeats: ScanRepeats | None = None,
    rereads: ReReads | None = None,
) -> list[dict[str, Any]]:
    """The API's resources. A new endpoint is one more dict here (or in a caller's list).

    The full scans drop a record listed twice in one scan (`repeats`, see
    `ingestion.full_scans.ScanRepeats`); the syncs drop a record their lag window reads
    again as it was loaded (`rereads`, see `ingestion.rereads`), except in a backfill.
    """
    repeats = repeats or ScanRepeats()
    rereads = rereads or ReReads(settings.lag_seconds)

    def unchanged_dropped(name: str) -> list[dict[str, Any]]:
        return [] if backfill else [{"filter": rereads.unchanged_dropped(name)}]

    return [
        {
            "name": "dashboards",
            # The API has no filter on dashboards, so every run is a full scan; scd2 uses
            # that: a changed dashboard gets a new version, a vanished one is retired.
            "write_disposition": {"disposition": "merge", "strategy": "scd2"},
            "endpoint": {"path": "dashboards"},
            "columns": DASHBOARD_COLUMNS,
            "processing_steps": [
                {"filter": repeats.first_sighting("dashboards")},
                {"map": check_record("dashboards", DASHBOARD_COLUMNS)},
            ],
        },
        {
            "name": "incidents",
            "endpoint": incidents_endpoint(settings, backfill),
            "columns": INCIDENT_COLUMNS | ROOT_COLUMNS | newest_version_wins(),
            "processing_steps": [
                {"map": check_record("incidents", INCIDENT_COLUMNS)},
                {"map": utc_cursor("incidents")},  # before dlt's incremental compares it
                *unchanged_dropped("incidents"),
            ],
        },
        {
            # as incidents, on dlt's JSON path; `relationships.incidents.data` (the incidents
            # an alert became) lands in the child table alerts__relationships__incidents__data
            "name": "alerts",
            "endpoint": updated_at_endpoint("alerts", settings),
            "columns": ALERT_COLUMNS | newest_version_wins(),
            "processing_steps": [
                {"map": check_record("alerts", ALERT_COLUMNS)},
                {"map": utc_cursor("alerts")},
                *unchanged_dropped("alerts"),
            ],
        },
        *(full_scan(name, CATALOGS.get(name, name), repeats) for name in FULL_SCAN_COLUMNS),
    ]


def full_scan(name: str, path: str, repeats: ScanRepeats) -> dict[str, Any]:
    """A list without a filter (catalogs, action items, retrospectives): scd2 like dashboards."""
    columns = FULL_SCAN_COLUMNS[name]
    return {
        "name": name,
        "write_disposition": SCD2,
        "endpoint": {"path": path},
        "columns": columns,
        "processing_steps": [
            {"filter": repeats.first_sighting(name)},
            {"map": check_record(name, columns)},
        ],
    }


def build_config(
    settings: Settings,
    base_url: str,
    api_key: str,
    session: ApiSession,
    extra_resources: list[dict[str, Any]] | None = None,
    backfill: Backfill | None = None,
    repeats: ScanRepeats | None = None,
    rereads: ReReads | None = None,
) -> RESTAPIConfig:
    """The whole source as one config dict: the starting config's shape, valid on dlt."""
    return {
        "client": {
            "base_url": base_url,
            "auth": {"type": "bearer", "token": api_key},
            "session": session,
            "paginator": {"type": PAGINATOR_TYPE},
        },
        "resource_defaults": {
            "primary_key": "id",
            "write_disposition": "merge",
            "endpoint": {
                "data_selector": DATA,
                "params": {"page[size]": settings.page_size},
            },
        },
        "resources": [
            *resources(settings, backfill, repeats, rereads),
            *(extra_resources or []),
        ],
    }


def deletion_listing_params(settings: Settings) -> dict[str, Any]:
    """The full listing a deletion check reads: every incident the sync could have loaded,
    sorted so that the keyset/cursor paging stays complete while incidents change."""
    return {
        "sort": "updated_at",
        UPDATED_AT_FILTER: settings.initial_updated_at,
        "page[size]": settings.page_size,
    }


def analytics_api_source(
    settings: Settings,
    base_url: str,
    api_key: str,
    session: ApiSession,
    extra_resources: list[dict[str, Any]] | None = None,
    backfill: Backfill | None = None,
    deletion_check: DeletionCheck | None = None,
    skipped_scans: list[str] | None = None,
    repeats: ScanRepeats | None = None,
    rereads: ReReads | None = None,
):
    """The dlt source object for one run; a backfill reads incidents only.

    With a `deletion_check`, the run also lists every incident to find the deleted ones
    (`ingestion.deletions`); the cadence is decided by the caller, as for the full scans this
    run leaves out (`skipped_scans`: not selected, so their tables stay as they are).
    `repeats` drops a record a full scan lists twice, `rereads` a record the syncs' lag
    window reads again unchanged; both count what they dropped for the summary.
    """
    config = build_config(
        settings, base_url, api_key, session, extra_resources, backfill, repeats, rereads
    )
    source = rest_api_source(config, name=SOURCE_NAME)
    for name, columns in ARROW_RESOURCES.items():
        resource = source.resources[name]
        resource.add_step(BatchPages())
        resource.add_step(PagesToArrow(resource, columns))
    if backfill:
        return source.with_resources("incidents")
    for name in skipped_scans or ():
        source.resources[name].selected = False
    if deletion_check is not None:
        source.resources.add(deletions_resource(deletion_check, base_url, api_key, session))
    return source
