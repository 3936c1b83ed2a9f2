"""Raw alert tables for the fixture warehouse (see ``fixtures.build_raw_warehouse``).

They mirror what dlt creates when it loads ``/v1/alerts`` (merge on ``id``; the incidents
an alert became and its services in child tables linked by ``_dlt_root_id``) and the
``alert_sources`` / ``alert_urgencies`` catalogs (scd2 full scans). Every value is chosen
by hand; ``tests/transform/test_alert_marts.py`` derives its expected mart values from the
tables below. The incidents named here are the fixture's (``fixtures.INCIDENTS``):
inc-015 and inc-007 are deleted upstream, inc-002 was restored and is alive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb

from tests.transform.fixtures import LOAD_1, LOAD_2, RAW_SCHEMA, SERVICES, load_ts

# urgency id -> versions: (name, deleted_at, valid_from load, valid_to load)
URGENCIES = {
    # Renamed P1 -> High by LOAD_2: alerts loaded before still nest the old name.
    "u-high": [("P1", None, LOAD_1, LOAD_2), ("High", None, LOAD_2, None)],
    "u-low": [("Low", None, LOAD_1, None)],
    # Soft-deleted upstream (still listed, `deleted_at` set).
    "u-medium": [("Medium", "2026-03-05 09:00:00+00", LOAD_1, None)],
    # Gone from the full scan in LOAD_2: its latest version is retired.
    "u-info": [("Informational", None, LOAD_1, LOAD_2)],
}
URGENCY_POSITIONS = {"u-high": 1, "u-medium": 2, "u-low": 3, "u-info": 4}

# (id, name, source_type, valid_from load, valid_to load)
ALERT_SOURCES = [
    ("as-1", "Datadog", "datadog", LOAD_1, None),
    # Two sources of one type: an alert's `source` cannot tell which, so no name.
    ("as-2", "Grafana EU", "grafana", LOAD_1, None),
    ("as-3", "Grafana US", "grafana", LOAD_1, None),
    # The only email source was deleted upstream.
    ("as-4", "Email (old)", "email", LOAD_1, LOAD_2),
]


@dataclass
class Alert:
    seq: int
    source: str
    status: str
    noise: str | None
    urgency: str | None
    started: str | None
    ended: str | None = None
    incidents: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    # The API may send the urgency only nested (no flat `alert_urgency_id`).
    flat_urgency_id: bool = True
    nested_urgency_name: str | None = None
    is_group_leader: bool | None = False
    group_leader: str | None = None
    load_id: str = LOAD_1

    @property
    def id(self) -> str:
        return f"alt-{self.seq:02d}"

    @property
    def dlt_id(self) -> str:
        return f"dltalt{self.seq:02d}"


ALERTS: list[Alert] = [
    # 20 minutes open; names two live incidents: became the first, inc-001.
    Alert(
        1,
        "datadog",
        "resolved",
        "noise",
        "u-high",
        "2026-03-01 09:50:00+00",
        "2026-03-01 10:10:00+00",
        incidents=["inc-001", "inc-003"],
        services=["svc-api", "svc-db"],
        nested_urgency_name="P1",
    ),
    # Names a deleted incident first, then a live one: became inc-005. 45.5 minutes.
    Alert(
        2,
        "datadog",
        "resolved",
        "not_noise",
        "u-high",
        "2026-03-01 12:00:00+00",
        "2026-03-01 12:45:30+00",
        incidents=["inc-015", "inc-005"],
        services=["svc-web"],
        nested_urgency_name="P1",
        is_group_leader=True,
    ),
    # Still firing: open, no minutes; not classified.
    Alert(
        3,
        "datadog",
        "triggered",
        None,
        "u-high",
        "2026-03-01 18:00:00+00",
        services=["svc-web"],
        nested_urgency_name="P1",
    ),
    # Started 23:30 at -02:00, i.e. 2026-03-02 01:30 UTC; 10 minutes. Names only a
    # deleted incident: did not become one.
    Alert(
        4,
        "grafana",
        "resolved",
        None,
        "u-low",
        "2026-03-01 23:30:00-02",
        "2026-03-02 01:40:00+00",
        incidents=["inc-007"],
        nested_urgency_name="Low",
    ),
    # Urgency only nested (no flat id); in alt-02's group; 60 minutes.
    Alert(
        5,
        "datadog",
        "resolved",
        "noise",
        "u-high",
        "2026-03-01 20:00:00+00",
        "2026-03-01 21:00:00+00",
        flat_urgency_id=False,
        nested_urgency_name="P1",
        group_leader="alt-02",
    ),
    # Deferred (open), no urgency at all.
    Alert(6, "grafana", "deferred", "not_noise", None, "2026-03-03 08:00:00+00"),
    # No start: in no daily row. Its urgency was deleted upstream (name from the catalog).
    Alert(
        7,
        "email",
        "resolved",
        None,
        "u-info",
        None,
        "2026-03-02 10:00:00+00",
        nested_urgency_name="Informational",
        is_group_leader=None,
    ),
    # Became inc-002 (restored upstream, alive); reloaded in LOAD_2. 5 minutes.
    Alert(
        8,
        "datadog",
        "resolved",
        "not_noise",
        "u-high",
        "2026-03-03 10:00:00+00",
        "2026-03-03 10:05:00+00",
        incidents=["inc-002"],
        nested_urgency_name="High",
        load_id=LOAD_2,
    ),
]

# the columns every catalog table (scd2) ends with: its own timestamps, then dlt's
CATALOG_TAIL = """\
    attributes__created_at timestamp with time zone,
    attributes__updated_at timestamp with time zone,
    _dlt_valid_from timestamp with time zone,
    _dlt_valid_to timestamp with time zone,
    _dlt_load_id varchar not null,
    _dlt_id varchar not null"""

DDL = f"""
create table {RAW_SCHEMA}.alerts (
    id varchar not null,
    type varchar,
    attributes__short_id varchar,
    attributes__noise varchar,
    attributes__source varchar,
    attributes__status varchar,
    attributes__summary varchar,
    attributes__description varchar,
    attributes__external_id varchar,
    attributes__external_url varchar,
    attributes__alert_urgency_id varchar,
    attributes__alert_urgency__id varchar,
    attributes__alert_urgency__name varchar,
    attributes__alert_urgency__description varchar,
    attributes__alert_urgency__position bigint,
    attributes__alert_urgency__created_at varchar,
    attributes__alert_urgency__updated_at varchar,
    attributes__group_leader_alert_id varchar,
    attributes__is_group_leader_alert boolean,
    attributes__labels json,
    attributes__data json,
    attributes__notification_target_type varchar,
    attributes__notification_target_id varchar,
    attributes__deduplication_key varchar,
    attributes__url varchar,
    attributes__started_at timestamp with time zone,
    attributes__ended_at timestamp with time zone,
    attributes__created_at timestamp with time zone,
    attributes__updated_at timestamp with time zone,
    _dlt_id varchar not null,
    _dlt_load_id varchar not null
);

create table {RAW_SCHEMA}.alerts__relationships__incidents__data (
    id varchar,
    type varchar,
    _dlt_root_id varchar not null,
    _dlt_parent_id varchar not null,
    _dlt_list_idx bigint not null,
    _dlt_id varchar not null,
    _dlt_load_id varchar
);

create table {RAW_SCHEMA}.alerts__attributes__services (
    id varchar,
    name varchar,
    slug varchar,
    created_at varchar,
    updated_at varchar,
    _dlt_root_id varchar not null,
    _dlt_parent_id varchar not null,
    _dlt_list_idx bigint not null,
    _dlt_id varchar not null,
    _dlt_load_id varchar
);

create table {RAW_SCHEMA}.alert_sources (
    id varchar,
    type varchar,
    attributes__name varchar,
    attributes__enabled boolean,
    attributes__source_type varchar,
    attributes__alert_urgency_id varchar,
    attributes__deduplicate_alerts_by_key boolean,
    attributes__deduplication_key_kind varchar,
    attributes__deduplication_key_path varchar,
    attributes__deduplication_key_regexp varchar,
    attributes__status varchar,
    attributes__secret varchar,
    attributes__email varchar,
    attributes__webhook_endpoint varchar,
{CATALOG_TAIL}
);

create table {RAW_SCHEMA}.alert_urgencies (
    id varchar,
    type varchar,
    attributes__id varchar,
    attributes__name varchar,
    attributes__description varchar,
    attributes__position bigint,
    attributes__urgency varchar,
    attributes__color varchar,
    attributes__team_id bigint,
    attributes__deleted_at timestamp with time zone,
{CATALOG_TAIL}
);
"""


def _alert_row(alert: Alert) -> list:
    created = alert.started or "2026-03-02 09:00:00+00"
    updated = alert.ended or created
    urgency_name = alert.nested_urgency_name
    return [
        alert.id,
        "alerts",
        f"A{alert.seq:05d}",
        alert.noise,
        alert.source,
        alert.status,
        f"Alert {alert.seq}",
        None,
        None,
        None,
        alert.urgency if alert.flat_urgency_id else None,
        alert.urgency,
        urgency_name,
        None,
        URGENCY_POSITIONS.get(alert.urgency or ""),
        "2025-01-01T00:00:00.000Z" if alert.urgency else None,
        "2025-01-01T00:00:00.000Z" if alert.urgency else None,
        alert.group_leader,
        alert.is_group_leader,
        json.dumps([{"key": "region", "value": "eu"}]) if alert.seq % 2 else None,
        json.dumps({"monitor_id": alert.seq}),
        "Service" if alert.services else None,
        alert.services[0] if alert.services else None,
        None,
        f"https://example.test/alerts/{alert.seq}",
        alert.started,
        alert.ended,
        created,
        updated,
        alert.dlt_id,
        alert.load_id,
    ]


def write_alert_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create and fill the raw alert tables (the ``raw`` schema exists already)."""
    con.execute(DDL)
    for alert in ALERTS:
        con.execute(
            f"insert into {RAW_SCHEMA}.alerts values ({', '.join('?' * 31)})", _alert_row(alert)
        )
        for idx, incident_id in enumerate(alert.incidents):
            con.execute(
                f"insert into {RAW_SCHEMA}.alerts__relationships__incidents__data "
                "values (?, 'incidents', ?, ?, ?, ?, ?)",
                [incident_id, alert.dlt_id, alert.dlt_id, idx, f"{alert.dlt_id}inc{idx}", None],
            )
        for idx, service_id in enumerate(alert.services):
            name, slug = SERVICES[service_id]
            con.execute(
                f"insert into {RAW_SCHEMA}.alerts__attributes__services "
                "values (?, ?, ?, null, null, ?, ?, ?, ?, ?)",
                [
                    service_id,
                    name,
                    slug,
                    alert.dlt_id,
                    alert.dlt_id,
                    idx,
                    f"{alert.dlt_id}svc{idx}",
                    None,
                ],
            )
    # A child row whose alert is not loaded (dlt never writes one; staging drops it).
    con.execute(
        f"insert into {RAW_SCHEMA}.alerts__attributes__services "
        "values ('svc-api', 'Public API', 'public-api', null, null, 'dltgone', 'dltgone', 0, "
        "'dltgonesvc0', null)"
    )
    for source_id, name, source_type, valid_from, valid_to in ALERT_SOURCES:
        valid_to_sql = load_ts(valid_to) if valid_to else "null"
        con.execute(
            f"""
            insert into {RAW_SCHEMA}.alert_sources values (
                ?, 'alert_sources', ?, ?, ?, 'u-low', false, 'payload', null, null,
                'connected', 'do-not-select', null, null,
                '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00',
                {load_ts(valid_from)}, {valid_to_sql}, ?, ?
            )
            """,
            [source_id, name, valid_to is None, source_type, valid_from, f"dlt{source_id}"],
        )
    for urgency_id, versions in URGENCIES.items():
        for version, (name, deleted_at, valid_from, valid_to) in enumerate(versions):
            valid_to_sql = load_ts(valid_to) if valid_to else "null"
            con.execute(
                f"""
                insert into {RAW_SCHEMA}.alert_urgencies values (
                    ?, 'alert_urgencies', ?, ?, ?, ?, ?, null, 1, ?,
                    '2026-01-01 00:00:00+00', '2026-01-01 00:00:00+00',
                    {load_ts(valid_from)}, {valid_to_sql}, ?, ?
                )
                """,
                [
                    urgency_id,
                    urgency_id,
                    name,
                    f"{name} alerts.",
                    URGENCY_POSITIONS[urgency_id],
                    name.lower(),
                    deleted_at,
                    valid_from,
                    f"dlt{urgency_id}{version}",
                ],
            )
