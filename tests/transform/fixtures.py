"""Build a small, hand-written raw warehouse for the dbt layer.

The tables mirror exactly what dlt creates when it loads the incident-management
JSON:API into DuckDB (schema ``raw``): ``incidents`` (merge on ``id``) with its
child tables for services, environments and groups (teams), ``incident_deletions``
(replace: the incidents the latest deletion check found deleted upstream),
``dashboards`` (scd2) and dlt's ``_dlt_loads`` bookkeeping table. Every timestamp is
``TIMESTAMP WITH TIME ZONE``.

The data set is small enough to compute every mart value by hand; the expected
numbers in ``tests/transform/test_marts.py`` are derived from the tables below.

Usage::

    from tests.transform.fixtures import build_raw_warehouse
    build_raw_warehouse("data/fixture.duckdb")

or ``uv run python tests/transform/fixtures.py data/fixture.duckdb``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

RAW_SCHEMA = "raw"

# dlt load ids are unix epoch seconds as text.
LOAD_0 = "1772625600.000000"  # 2026-03-04 12:00:00 UTC (only inc-015's row)
LOAD_1 = "1772712000.123456"  # 2026-03-05 12:00:00.123456 UTC
LOAD_2 = "1772798400.654321"  # 2026-03-06 12:00:00.654321 UTC
LOAD_3 = "1772884800.111111"  # 2026-03-07 12:00:00.111111 UTC (used by incremental tests)

TEAMS = {"3": ("Platform", "platform"), "5": ("Payments", "payments"), "7": ("Data", "data")}
SERVICES = {
    "svc-api": ("Public API", "public-api"),
    "svc-db": ("Primary DB", "primary-db"),
    "svc-web": ("Web app", "web-app"),
}
ENVIRONMENTS = {"env-prod": ("Production", "production"), "env-stg": ("Staging", "staging")}

# severity level -> (id, name, slug, description, color, position)
SEVERITIES = {
    "critical": ("sev-1", "SEV1", "sev1", "Critical customer impact", "#d92d20", 1),
    "high": ("sev-2", "SEV2", "sev2", "Major degradation", "#f79009", 2),
    "medium": ("sev-3", "SEV3", "sev3", "Partial degradation", "#fdb022", 3),
    "low": ("sev-4", "SEV4", "sev4", "Minor issue", "#12b76a", 4),
}


@dataclass
class Incident:
    seq: int
    kind: str
    status: str
    severity: str | None
    started: str | None
    detected: str | None = None
    acknowledged: str | None = None
    mitigated: str | None = None
    resolved: str | None = None
    closed: str | None = None
    cancelled: str | None = None
    teams: list[str] = field(default_factory=list)
    services: list[str] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)
    labels: dict | None = None
    summary: str | None = None
    load_id: str = LOAD_1

    @property
    def id(self) -> str:
        return f"inc-{self.seq:03d}"

    @property
    def dlt_id(self) -> str:
        return f"dltinc{self.seq:03d}"


# Timestamps are ISO strings with an explicit offset (UTC unless stated).
INCIDENTS: list[Incident] = [
    Incident(
        1,
        "normal",
        "resolved",
        "critical",
        "2026-03-01 10:00:00+00",
        detected="2026-03-01 10:05:00+00",
        acknowledged="2026-03-01 10:10:00+00",
        mitigated="2026-03-01 10:40:00+00",
        resolved="2026-03-01 11:30:00+00",
        teams=["3", "5"],
        services=["svc-api", "svc-db"],
        environments=["env-prod"],
        labels={"customer_impact": True, "region": "eu"},
        summary="Checkout API returned 500s.",
    ),
    Incident(
        2,
        "normal",
        "closed",
        "high",
        "2026-03-01 22:30:00+00",
        detected="2026-03-01 22:31:30+00",
        acknowledged="2026-03-01 22:45:00+00",
        mitigated="2026-03-01 23:30:00+00",
        resolved="2026-03-02 01:00:00+00",
        closed="2026-03-02 02:00:00+00",
        teams=["5"],
        services=["svc-db"],
        environments=["env-prod"],
        load_id=LOAD_2,
    ),
    Incident(
        3,
        "normal_sub",
        "mitigated",
        "medium",
        "2026-03-02 08:00:00+00",
        detected="2026-03-02 08:00:00+00",
        acknowledged="2026-03-02 08:20:00+00",
        mitigated="2026-03-02 09:00:00+00",
        teams=["3"],
        services=["svc-api"],
        environments=["env-stg"],
    ),
    Incident(
        4,
        "backfilled",
        "resolved",
        "low",
        "2026-03-02 09:00:00+00",
        resolved="2026-03-05 09:00:00+00",
        teams=["7"],
    ),
    Incident(
        5,
        "normal",
        "resolved",
        None,
        "2026-03-02 12:00:00+00",
        detected="2026-03-02 12:10:00+00",
        resolved="2026-03-02 12:45:30+00",
        services=["svc-web"],
        environments=["env-prod"],
    ),
    Incident(
        6,
        "normal",
        "cancelled",
        "high",
        "2026-03-04 07:00:00+00",
        detected="2026-03-04 07:05:00+00",
        cancelled="2026-03-04 07:10:00+00",
        teams=["3"],
        services=["svc-api"],
    ),
    Incident(
        7,
        "test",
        "resolved",
        "critical",
        "2026-03-01 09:00:00+00",
        detected="2026-03-01 09:01:00+00",
        acknowledged="2026-03-01 09:02:00+00",
        mitigated="2026-03-01 09:03:00+00",
        resolved="2026-03-01 09:05:00+00",
        teams=["3"],
    ),
    Incident(
        8,
        "test_sub",
        "closed",
        "low",
        "2026-03-03 09:00:00+00",
        resolved="2026-03-03 09:30:00+00",
        closed="2026-03-03 09:31:00+00",
        teams=["5"],
    ),
    Incident(
        9,
        "example",
        "resolved",
        "medium",
        "2026-03-03 12:00:00+00",
        resolved="2026-03-03 13:00:00+00",
        teams=["7"],
    ),
    Incident(10, "example_sub", "in_triage", None, None),
    Incident(11, "scheduled", "scheduled", None, None, teams=["7"]),
    Incident(12, "normal", "in_triage", "critical", None),
    Incident(
        # Started just before midnight UTC, recorded with a +01:00 offset: the
        # UTC day is 2026-03-04. Resolved exactly at the critical SLA target.
        13,
        "normal_sub",
        "resolved",
        "critical",
        "2026-03-05 00:30:00+01",
        detected="2026-03-04 23:30:30+00",
        acknowledged="2026-03-04 23:35:00+00",
        mitigated="2026-03-04 23:50:00+00",
        resolved="2026-03-05 00:30:00+00",
        teams=["5"],
        services=["svc-db"],
        load_id=LOAD_2,
    ),
    Incident(
        # One minute over the medium SLA target (1440 minutes).
        14,
        "normal",
        "resolved",
        "medium",
        "2026-03-05 10:00:00+00",
        acknowledged="2026-03-05 10:30:00+00",
        resolved="2026-03-06 10:01:00+00",
        teams=["7", "3"],
        services=["svc-web", "svc-api"],
        environments=["env-prod", "env-stg"],
        load_id=LOAD_2,
    ),
    Incident(
        15,
        "normal",
        "resolved",
        "critical",
        "2026-03-01 14:00:00+00",
        detected="2026-03-01 14:01:00+00",
        acknowledged="2026-03-01 14:02:00+00",
        mitigated="2026-03-01 14:20:00+00",
        resolved="2026-03-01 14:30:00+00",
        teams=["3"],
        services=["svc-api"],
        # Deleted upstream (see INCIDENT_DELETIONS): in no mart metric.
        load_id=LOAD_0,
    ),
    Incident(
        16,
        "normal",
        "resolved",
        "critical",
        "2026-03-01 16:00:00+00",
        acknowledged="2026-03-01 16:03:00+00",
        resolved="2026-03-01 16:45:00+00",
        teams=["5"],
        services=["svc-db"],
        load_id=LOAD_2,
    ),
]

# The deletion check that ran in LOAD_1 found these incidents missing upstream
# (raw.incident_deletions, replaced by every check; LOAD_2 ran no check):
# (incident id, found_deleted_at).
DELETION_CHECK_LOAD = LOAD_1
INCIDENT_DELETIONS = [
    # Row loaded (LOAD_0) before the check: deleted. A countable critical incident of
    # 2026-03-01 (30 minutes to resolve, team 3): it would change the daily metrics, the
    # team summary and dim_teams. Found with a +01:00 offset: 11:00 UTC.
    ("inc-015", "2026-03-05 12:00:00+01"),
    # Row loaded by the check's own load: deleted. A test incident (team 3): only
    # dim_teams.incident_count, which counts every kind, would include it.
    ("inc-007", "2026-03-05 12:00:00+00"),
    # Restored upstream and reloaded by LOAD_2, after the check: alive.
    ("inc-002", "2026-03-05 12:00:00+00"),
]

# (id, version dlt id, team_id, user_id, name, owner, valid_from load, valid_to load)
DASHBOARDS = [
    ("dash-1", "dltdash1a", 3, None, "Platform reliability", "team", LOAD_1, None),
    ("dash-2", "dltdash2a", 5, None, "Payments overview", "team", LOAD_1, LOAD_2),
    ("dash-2", "dltdash2b", 5, None, "Payments health", "team", LOAD_2, None),
    ("dash-3", "dltdash3a", 9, None, "Legacy search", "team", LOAD_1, LOAD_2),
    ("dash-4", "dltdash4a", 3, 42, "My on-call view", "user", LOAD_1, None),
]

INCIDENT_TIMESTAMP_COLUMNS = [
    "created_at",
    "updated_at",
    "started_at",
    "detected_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
    "cancelled_at",
]

DDL = (
    f"""
create schema if not exists {RAW_SCHEMA};

create table {RAW_SCHEMA}.incidents (
    id varchar not null,
    type varchar,
    attributes__sequential_id bigint,
    attributes__title varchar,
    attributes__slug varchar,
    attributes__summary varchar,
    attributes__kind varchar,
    attributes__status varchar,
    attributes__private boolean,
    attributes__source varchar,
    attributes__url varchar,
    attributes__labels json,
    attributes__severity__data__id varchar,
    attributes__severity__data__type varchar,
    attributes__severity__data__attributes__name varchar,
    attributes__severity__data__attributes__slug varchar,
    attributes__severity__data__attributes__description varchar,
    attributes__severity__data__attributes__severity varchar,
    attributes__severity__data__attributes__color varchar,
    attributes__severity__data__attributes__position bigint,
    attributes__severity__data__attributes__created_at timestamp with time zone,
    attributes__severity__data__attributes__updated_at timestamp with time zone,
    attributes__created_at timestamp with time zone,
    attributes__updated_at timestamp with time zone,
    attributes__started_at timestamp with time zone,
    attributes__detected_at timestamp with time zone,
    attributes__acknowledged_at timestamp with time zone,
    attributes__mitigated_at timestamp with time zone,
    attributes__resolved_at timestamp with time zone,
    attributes__closed_at timestamp with time zone,
    attributes__cancelled_at timestamp with time zone,
    _dlt_load_id varchar not null,
    _dlt_id varchar not null
);
"""
    + "".join(
        f"""
create table {RAW_SCHEMA}.incidents__attributes__{child} (
    data__id varchar,
    data__type varchar,
    data__attributes__name varchar,
    data__attributes__slug varchar,
    _dlt_root_id varchar not null,
    _dlt_parent_id varchar not null,
    _dlt_list_idx bigint not null,
    _dlt_id varchar not null
);
"""
        for child in ("services", "environments", "groups")
    )
    + f"""
create table {RAW_SCHEMA}.dashboards (
    _dlt_valid_from timestamp with time zone,
    _dlt_valid_to timestamp with time zone,
    id varchar,
    type varchar,
    attributes__team_id bigint,
    attributes__user_id bigint,
    attributes__name varchar,
    attributes__description varchar,
    attributes__owner varchar,
    attributes__public boolean,
    attributes__range varchar,
    attributes__period varchar,
    attributes__auto_refresh boolean,
    attributes__color varchar,
    attributes__icon varchar,
    attributes__created_at timestamp with time zone,
    attributes__updated_at timestamp with time zone,
    _dlt_load_id varchar not null,
    _dlt_id varchar not null
);

create table {RAW_SCHEMA}.incident_deletions (
    id varchar not null,
    found_deleted_at timestamp with time zone,
    _dlt_load_id varchar not null,
    _dlt_id varchar not null
);

create table {RAW_SCHEMA}._dlt_loads (
    load_id varchar not null,
    schema_name varchar,
    status bigint not null,
    inserted_at timestamp with time zone not null,
    schema_version_hash varchar
);
"""
)


def load_ts(load_id: str) -> str:
    """SQL expression for the timestamp of a dlt load id."""
    return f"to_timestamp(cast('{load_id}' as double))"


def _incident_row(inc: Incident) -> list:
    sev = SEVERITIES.get(inc.severity) if inc.severity else None
    created = inc.started or "2026-03-06 08:00:00+00"
    updated = inc.resolved or inc.cancelled or inc.mitigated or created
    return [
        inc.id,
        "incidents",
        inc.seq,
        f"Incident {inc.seq}",
        f"incident-{inc.seq}",
        inc.summary,
        inc.kind,
        inc.status,
        inc.seq == 5,
        "web" if inc.seq % 2 else "slack",
        f"https://example.test/incidents/{inc.seq}",
        json.dumps(inc.labels) if inc.labels is not None else None,
        sev[0] if sev else None,
        "severities" if sev else None,
        sev[1] if sev else None,
        sev[2] if sev else None,
        sev[3] if sev else None,
        inc.severity,
        sev[4] if sev else None,
        sev[5] if sev else None,
        "2025-01-01 00:00:00+00" if sev else None,
        "2025-01-02 00:00:00+00" if sev else None,
        created,
        updated,
        inc.started,
        inc.detected,
        inc.acknowledged,
        inc.mitigated,
        inc.resolved,
        inc.closed,
        inc.cancelled,
        inc.load_id,
        inc.dlt_id,
    ]


def insert_incident(con: duckdb.DuckDBPyConnection, inc: Incident) -> None:
    """Insert (or, like dlt's merge, replace) one incident and its child rows."""
    con.execute(f"delete from {RAW_SCHEMA}.incidents where id = ?", [inc.id])
    for child in ("services", "environments", "groups"):
        con.execute(
            f"delete from {RAW_SCHEMA}.incidents__attributes__{child} where _dlt_root_id = ?",
            [inc.dlt_id],
        )
    con.execute(
        f"insert into {RAW_SCHEMA}.incidents values ({', '.join('?' * 33)})", _incident_row(inc)
    )
    children = {
        "services": (inc.services, SERVICES, "services"),
        "environments": (inc.environments, ENVIRONMENTS, "environments"),
        "groups": (inc.teams, TEAMS, "groups"),
    }
    for child, (keys, lookup, data_type) in children.items():
        for idx, key in enumerate(keys):
            name, slug = lookup[key]
            con.execute(
                f"insert into {RAW_SCHEMA}.incidents__attributes__{child} "
                "values (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    key,
                    data_type,
                    name,
                    slug,
                    inc.dlt_id,
                    inc.dlt_id,
                    idx,
                    f"{inc.dlt_id}{child[:3]}{idx}",
                ],
            )


def write_incident_deletions(
    con: duckdb.DuckDBPyConnection, load_id: str, deletions: list[tuple[str, str]]
) -> None:
    """Replace the deletion set, as dlt's ``replace`` does when a check runs in ``load_id``."""
    con.execute(f"delete from {RAW_SCHEMA}.incident_deletions")
    for idx, (incident_id, found_deleted_at) in enumerate(deletions):
        con.execute(
            f"insert into {RAW_SCHEMA}.incident_deletions values (?, ?, ?, ?)",
            [incident_id, found_deleted_at, load_id, f"dltdel{load_id[-6:]}{idx}"],
        )


def build_raw_warehouse(path: str | Path) -> Path:
    """Create (or replace) a DuckDB file at ``path`` holding the raw fixture tables."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", ".wal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(DDL)
        for inc in INCIDENTS:
            insert_incident(con, inc)
        write_incident_deletions(con, DELETION_CHECK_LOAD, INCIDENT_DELETIONS)
        from tests.transform.fixtures_alerts import write_alert_tables  # (imports this module)

        write_alert_tables(con)
        from tests.transform.fixtures_follow_ups import write_follow_up_tables  # (imports this)

        write_follow_up_tables(con)
        for dash_id, dlt_id, team, user, name, owner, valid_from, valid_to in DASHBOARDS:
            valid_to_sql = load_ts(valid_to) if valid_to else "null"
            con.execute(
                f"""
                insert into {RAW_SCHEMA}.dashboards values (
                    {load_ts(valid_from)}, {valid_to_sql}, ?, 'dashboards', ?, ?, ?, ?, ?,
                    ?, ?, ?, ?, ?, ?, ?, ?, ?, ?
                )
                """,
                [
                    dash_id,
                    team,
                    user,
                    name,
                    None if dash_id == "dash-3" else f"{name} dashboard",
                    owner,
                    owner == "team",
                    "last_7_days" if dash_id != "dash-4" else None,
                    "day" if dash_id != "dash-4" else None,
                    dash_id == "dash-1",
                    "#1570ef" if dash_id != "dash-3" else None,
                    "chart",
                    "2026-02-01 00:00:00+00",
                    "2026-03-06 09:00:00+00" if dlt_id == "dltdash2b" else "2026-02-01 00:00:00+00",
                    valid_from,
                    dlt_id,
                ],
            )
        for load_id in (LOAD_0, LOAD_1, LOAD_2):
            con.execute(
                f"insert into {RAW_SCHEMA}._dlt_loads values (?, 'analytics_api', 0, "
                f"{load_ts(load_id)} + interval 30 second, 'fixturehash')",
                [load_id],
            )
    finally:
        con.close()
    return path


if __name__ == "__main__":
    target = sys.argv[1] if len(sys.argv) > 1 else "data/warehouse.duckdb"
    print(build_raw_warehouse(target))
