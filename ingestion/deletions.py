"""Incidents deleted upstream: found by a full listing on a cadence, kept in raw with a date.

An `updated_at` sync never sees a deletion: a deleted incident simply stops appearing. The
API has no deletion feed, so the only evidence is a full listing of the incidents it still
has. That costs as many requests as a full load (one per `page_size` incidents), so it runs
on a cadence (`sources.analytics_api.deletion_check_hours`, default 24; 0 = every run) or
when a run asks for it (`just elt --check-deletions`).

The listing pages the same way the sync does (`JsonApiPaginator`: cursor or keyset on
`updated_at`), so an incident updated during it is still seen and never taken for deleted.
The result is the table `raw.incident_deletions`: every incident the warehouse holds that
the API no longer lists, with when a run first found it missing. It is replaced as a whole
on each check, so an incident that reappears upstream drops out of it. Rows of deleted
incidents stay in `raw.incidents` as last loaded; the dbt models flag them (`is_deleted`)
and leave them out of every count and metric.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import dlt
from dlt.extract.resource import DltResource
from dlt.sources.helpers.rest_client import RESTClient
from dlt.sources.helpers.rest_client.auth import BearerTokenAuth

from ingestion.dlt_internals import stored_resource_state
from ingestion.paging import parse_instant, updated_at_keyset

RESOURCE = "incident_deletions"
CHECKED_AT = "checked_at"  # key in the resource's dlt state: when the last check ran

COLUMNS: dict[str, dict[str, Any]] = {
    "id": {"data_type": "text", "nullable": False},
    "found_deleted_at": {"data_type": "timestamp", "nullable": False},
}


@dataclass
class DeletionCheck:
    """One run's deletion check: what the warehouse holds, and what the check found.

    `known` are the incident ids in `raw.incidents`; `previously` maps the ids already in
    `raw.incident_deletions` to when they were found deleted.
    """

    listing_params: dict[str, Any]
    known: set[str]
    previously: dict[str, datetime]
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    listed: int = 0
    deleted: int = 0
    newly_deleted: int = 0
    ran: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "checked": self.ran,
            "listed": self.listed,
            "deleted": self.deleted,
            "newly_deleted": self.newly_deleted,
        }

    def deletions(self, listed_ids: set[str]) -> list[dict[str, Any]]:
        """Rows for every known incident the listing lacks; a known date is kept."""
        missing = sorted(self.known - listed_ids)
        self.listed = len(listed_ids)
        self.deleted = len(missing)
        self.newly_deleted = sum(1 for key in missing if key not in self.previously)
        return [
            {"id": key, "found_deleted_at": self.previously.get(key, self.now)} for key in missing
        ]


def check_due(
    last_checked: str | None, every_hours: float, now: datetime, forced: bool = False
) -> bool:
    """Whether this run lists every incident: forced, never done, or the cadence elapsed."""
    if forced or every_hours <= 0:
        return True
    last = parse_instant(last_checked)
    return last is None or now - last >= timedelta(hours=every_hours)


def last_checked(pipeline_state: dict[str, Any], source_name: str) -> str | None:
    """When the warehouse last had its deletions checked (the resource stored it in its
    dlt state, see `deletions_resource`)."""
    return stored_resource_state(pipeline_state, source_name, RESOURCE).get(CHECKED_AT)


def listing_ids(client: RESTClient, path: str, params: dict[str, Any]) -> Iterator[str]:
    """Every incident id the API lists, paged so that none is missed while they change."""
    for page in client.paginate(path, params=dict(params), paginator=updated_at_keyset()):
        for record in page:
            if isinstance(record, dict) and record.get("id") is not None:
                yield str(record["id"])


def deletions_resource(
    check: DeletionCheck, base_url: str, api_key: str, session: Any, path: str = "incidents"
) -> DltResource:
    """The `incident_deletions` resource: one full listing, then the complete deleted set."""

    @dlt.resource(name=RESOURCE, write_disposition="replace", columns=COLUMNS)
    def incident_deletions() -> Iterator[Any]:
        # the table exists (maybe empty) from the first run on: dbt's source reads it
        yield dlt.mark.materialize_table_schema()
        if check.known:  # an empty warehouse has nothing that could have been deleted
            client = RESTClient(
                base_url=base_url,
                auth=BearerTokenAuth(api_key),
                session=session,
                data_selector="data",
            )
            listed = set(listing_ids(client, path, check.listing_params))
            rows = check.deletions(listed)
            if rows:
                yield rows
        check.ran = True
        dlt.current.resource_state()[CHECKED_AT] = check.now.isoformat()

    return incident_deletions()


def read_known(sql_client: Any) -> tuple[set[str], dict[str, datetime]]:
    """Incident ids in `raw.incidents` and the deletion dates already recorded, if any."""
    known: set[str] = set()
    previously: dict[str, datetime] = {}
    incidents = sql_client.make_qualified_table_name("incidents")
    deletions = sql_client.make_qualified_table_name(RESOURCE)
    if _exists(sql_client, "incidents"):
        known = {row[0] for row in sql_client.execute_sql(f"select id from {incidents}")}
    if _exists(sql_client, RESOURCE):
        rows = sql_client.execute_sql(f"select id, found_deleted_at from {deletions}")
        previously = {key: _aware(found) for key, found in rows}
    return known, previously


def _exists(sql_client: Any, table: str) -> bool:
    rows = sql_client.execute_sql(
        "select count(*) from information_schema.tables where table_schema = %s"
        " and table_name = %s",
        sql_client.dataset_name,
        table,
    )
    return bool(rows and rows[0][0])


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
