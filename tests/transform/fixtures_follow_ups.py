"""Raw catalog, follow-up (action item) and retrospective (post mortem) fixture tables.

They mirror what dlt's ``scd2`` merge creates for the full-scan resources (schema ``raw``):
every version of a record is a row with ``_dlt_valid_from``/``_dlt_valid_to`` (NULL = the
current version); a record deleted upstream has its latest version retired. Nested lists
are child tables linked by ``_dlt_parent_id`` to the parent version's ``_dlt_id``. Only the
columns the staging models read are created.

The as-of time of every load-relative flag is the newest completed load in
``_dlt_loads``: LOAD_2, written 30 s after its id, 2026-03-06 12:00:30.654321 UTC, so the
as-of day is 2026-03-06. The expected mart values in ``test_follow_up_marts.py`` are
computed by hand from the rows below and the incidents of ``fixtures.py``.
"""

from __future__ import annotations

import duckdb

from tests.transform.fixtures import LOAD_1, LOAD_2, RAW_SCHEMA, load_ts

TS = "timestamp with time zone"
SCD2_COLUMNS = [
    ("_dlt_valid_from", TS),
    ("_dlt_valid_to", TS),
    ("_dlt_load_id", "varchar not null"),
    ("_dlt_id", "varchar not null"),
]
STAMPS = [("attributes__created_at", TS), ("attributes__updated_at", TS)]
CHILD_COLUMNS = [
    ("_dlt_parent_id", "varchar not null"),
    ("_dlt_list_idx", "bigint not null"),
    ("_dlt_id", "varchar not null"),
]


def _named(*extra: tuple[str, str]) -> list[tuple[str, str]]:
    """The columns every catalog has: id, type, name, slug, description, colour, position."""
    return [
        ("id", "varchar not null"),
        ("type", "varchar"),
        ("attributes__name", "varchar"),
        ("attributes__slug", "varchar"),
        ("attributes__description", "varchar"),
        ("attributes__color", "varchar"),
        ("attributes__position", "bigint"),
        *extra,
        *STAMPS,
        *SCD2_COLUMNS,
    ]


TABLES: dict[str, list[tuple[str, str]]] = {
    "teams": _named(
        ("attributes__managed_by", "varchar"),
        ("attributes__pagerduty_id", "varchar"),
        ("attributes__alerts_email_enabled", "boolean"),
        ("attributes__alert_urgency_id", "varchar"),
        ("attributes__incident_broadcast_enabled", "boolean"),
        ("attributes__auto_add_members_when_attached", "boolean"),
        ("attributes__auto_add_members_scope", "varchar"),
    ),
    "teams__attributes__user_ids": [("value", "bigint"), *CHILD_COLUMNS],
    "services": _named(
        ("attributes__managed_by", "varchar"),
        ("attributes__public_description", "varchar"),
        ("attributes__backstage_id", "varchar"),
        ("attributes__pagerduty_id", "varchar"),
        ("attributes__github_repository_name", "varchar"),
        ("attributes__kubernetes_deployment_name", "varchar"),
        ("attributes__alert_urgency_id", "varchar"),
        ("attributes__escalation_policy_id", "varchar"),
    ),
    "services__attributes__owner_group_ids": [("value", "varchar"), *CHILD_COLUMNS],
    "severities": _named(("attributes__severity", "varchar")),
    "environments": _named(("attributes__managed_by", "varchar")),
    "incident_types": _named(),
    "functionalities": _named(
        ("attributes__managed_by", "varchar"), ("attributes__public_description", "varchar")
    ),
    "users": [
        ("id", "varchar not null"),
        ("type", "varchar"),
        ("attributes__email", "varchar"),
        ("attributes__first_name", "varchar"),
        ("attributes__last_name", "varchar"),
        ("attributes__full_name", "varchar"),
        ("attributes__time_zone", "varchar"),
        *STAMPS,
        *SCD2_COLUMNS,
    ],
    "action_items": [
        ("id", "varchar not null"),
        ("type", "varchar"),
        ("attributes__summary", "varchar"),
        ("attributes__description", "varchar"),
        ("attributes__kind", "varchar"),
        ("attributes__priority", "varchar"),
        ("attributes__status", "varchar"),
        ("attributes__due_date", "varchar"),
        ("attributes__jira_issue_key", "varchar"),
        ("attributes__jira_issue_url", "varchar"),
        ("attributes__assigned_to__id", "bigint"),
        ("attributes__created_by__id", "bigint"),
        ("relationships__incident__data__id", "varchar"),
        *STAMPS,
        *SCD2_COLUMNS,
    ],
    "post_mortems": [
        ("id", "varchar not null"),
        ("type", "varchar"),
        ("attributes__title", "varchar"),
        ("attributes__content", "varchar"),
        ("attributes__status", "varchar"),
        ("attributes__url", "varchar"),
        ("attributes__started_at", TS),
        ("attributes__mitigated_at", TS),
        ("attributes__resolved_at", TS),
        ("relationships__incident__data__id", "varchar"),
        *STAMPS,
        *SCD2_COLUMNS,
    ],
}

CATALOG_STAMPS = {
    "attributes__created_at": "2025-10-01 00:00:00+00",
    "attributes__updated_at": "2025-10-02 00:00:00+00",
}

# (table, record) -> versions: (valid_from load, valid_to load or None, attributes).
# Team 3 was renamed (two versions); team 5 was deleted from the catalog at LOAD_2 (its
# last version is retired); team 7 is seen only on incidents, team 9 only on a dashboard.
TEAMS = [
    ("3", LOAD_1, LOAD_2, {"attributes__name": "Platform team", "members": [100]}),
    ("3", LOAD_2, None, {"attributes__name": "Platform", "members": [100, 101]}),
    ("5", LOAD_1, LOAD_2, {"attributes__name": "Payments", "members": [101, 102]}),
]
# svc-old was deleted from the catalog; svc-web is seen only on incidents.
SERVICES = [
    ("svc-api", LOAD_1, None, {"attributes__name": "Public API", "owners": ["3", "5"]}),
    ("svc-db", LOAD_1, None, {"attributes__name": "Primary DB", "owners": ["5"]}),
    ("svc-old", LOAD_1, LOAD_2, {"attributes__name": "Old search", "owners": ["3"]}),
]
# User 102 was deleted from the catalog.
USERS = [
    ("100", LOAD_1, None, {"attributes__full_name": "Ada Lovelace"}),
    ("101", LOAD_1, None, {"attributes__full_name": "Grace Hopper"}),
    ("102", LOAD_1, LOAD_2, {"attributes__full_name": "Linus Torvalds"}),
]
SMALL_CATALOGS = {
    "severities": [
        ("sev-1", LOAD_1, None, {"attributes__name": "SEV1", "attributes__severity": "critical"})
    ],
    "environments": [("env-prod", LOAD_1, None, {"attributes__name": "Production"})],
    "incident_types": [("type-default", LOAD_1, None, {"attributes__name": "Default"})],
    "functionalities": [("fn-checkout", LOAD_1, None, {"attributes__name": "Checkout"})],
}


def _item(incident, status, due, created, updated, assignee=None, kind="follow_up"):
    return {
        "relationships__incident__data__id": incident,
        "attributes__status": status,
        "attributes__due_date": due,
        "attributes__created_at": created,
        "attributes__updated_at": updated,
        "attributes__assigned_to__id": assignee,
        "attributes__created_by__id": 100,
        "attributes__kind": kind,
        "attributes__priority": "high" if incident == "inc-001" else "medium",
        "attributes__summary": f"Follow up on {incident}",
    }


# As of the day 2026-03-06 (LOAD_2).
ACTION_ITEMS = [
    # Due the day before the as-of day, open: overdue.
    (
        "ai-1",
        LOAD_1,
        None,
        _item(
            "inc-001", "open", "2026-03-05", "2026-03-01 12:00:00+00", "2026-03-01 12:00:00+00", 100
        ),
    ),
    # Due on the as-of day itself: not overdue yet.
    (
        "ai-2",
        LOAD_1,
        None,
        _item(
            "inc-001",
            "in_progress",
            "2026-03-06",
            "2026-03-01 12:00:00+00",
            "2026-03-02 12:00:00+00",
            100,
        ),
    ),
    # Done (past due, never overdue): completed at its updated_at, 2.5 days after creation.
    (
        "ai-3",
        LOAD_1,
        None,
        _item(
            "inc-001", "done", "2026-03-02", "2026-03-01 12:00:00+00", "2026-03-04 00:00:00+00", 101
        ),
    ),
    # Cancelled past due: not overdue, in no completion-rate count.
    (
        "ai-4",
        LOAD_1,
        None,
        _item(
            "inc-003",
            "cancelled",
            "2026-03-01",
            "2026-03-02 09:00:00+00",
            "2026-03-02 10:00:00+00",
            kind="task",
        ),
    ),
    # Open without a due date: never overdue.
    (
        "ai-5",
        LOAD_1,
        None,
        _item(
            "inc-003", "open", None, "2026-03-02 09:00:00+00", "2026-03-02 09:00:00+00", kind="task"
        ),
    ),
    # Overdue, but its incident (inc-015) is deleted upstream: not countable.
    (
        "ai-6",
        LOAD_1,
        None,
        _item(
            "inc-015", "open", "2026-03-01", "2026-03-01 15:00:00+00", "2026-03-01 15:00:00+00", 100
        ),
    ),
    # Opened at LOAD_1, done at LOAD_2 (two versions): 0.75 days to complete.
    (
        "ai-7",
        LOAD_1,
        LOAD_2,
        _item("inc-014", "open", "2026-03-09", "2026-03-05 10:00:00+00", "2026-03-05 10:00:00+00"),
    ),
    (
        "ai-7",
        LOAD_2,
        None,
        _item("inc-014", "done", "2026-03-09", "2026-03-05 10:00:00+00", "2026-03-06 04:00:00+00"),
    ),
    # Deleted upstream at LOAD_2: a row of fct_follow_ups, in no count.
    (
        "ai-8",
        LOAD_1,
        LOAD_2,
        _item(
            "inc-002", "open", "2026-03-01", "2026-03-02 02:00:00+00", "2026-03-02 02:00:00+00", 101
        ),
    ),
    # Names an incident not loaded (yet): countable, `is_incident_loaded` false.
    (
        "ai-9",
        LOAD_2,
        None,
        _item(
            "inc-099", "open", "2026-03-10", "2026-03-06 08:00:00+00", "2026-03-06 08:00:00+00", 102
        ),
    ),
]


def _post_mortem(incident, status, created, updated):
    return {
        "relationships__incident__data__id": incident,
        "attributes__title": f"Retrospective: {incident}",
        "attributes__status": status,
        "attributes__content": None if status == "draft" else "What happened.",
        "attributes__created_at": created,
        "attributes__updated_at": updated,
    }


POST_MORTEMS = [
    # inc-001 (resolved 2026-03-01 11:30 UTC): drafted at LOAD_1, published at LOAD_2 on
    # 2026-03-03 23:30, 2.5 days after the resolution.
    (
        "pm-1",
        LOAD_1,
        LOAD_2,
        _post_mortem("inc-001", "draft", "2026-03-02 00:00:00+00", "2026-03-02 00:00:00+00"),
    ),
    (
        "pm-1",
        LOAD_2,
        None,
        _post_mortem("inc-001", "published", "2026-03-02 00:00:00+00", "2026-03-03 23:30:00+00"),
    ),
    # inc-013 (resolved): only a draft.
    (
        "pm-2",
        LOAD_2,
        None,
        _post_mortem("inc-013", "draft", "2026-03-06 00:00:00+00", "2026-03-06 00:00:00+00"),
    ),
    # inc-003 is not resolved: published, but no days to published retrospective.
    (
        "pm-3",
        LOAD_1,
        None,
        _post_mortem("inc-003", "published", "2026-03-03 00:00:00+00", "2026-03-04 00:00:00+00"),
    ),
    # Deleted upstream at LOAD_2: inc-016 has no retrospective.
    (
        "pm-4",
        LOAD_1,
        LOAD_2,
        _post_mortem("inc-016", "published", "2026-03-02 00:00:00+00", "2026-03-03 00:00:00+00"),
    ),
]


def _insert(con, table: str, row: dict) -> None:
    columns = [name for name, _ in TABLES[table]]
    unknown = set(row) - set(columns)
    assert not unknown, f"{table}: {unknown}"
    values, params = [], []
    for name in columns:
        value = row.get(name)
        if isinstance(value, tuple):  # ("sql", expression)
            values.append(value[1])
        else:
            values.append("?")
            params.append(value)
    con.execute(
        f"insert into {RAW_SCHEMA}.{table} ({', '.join(columns)}) values ({', '.join(values)})",
        params,
    )


def _insert_versions(con, table: str, versions, defaults: dict, children=None) -> None:
    for number, (record_id, valid_from, valid_to, attributes) in enumerate(versions):
        attributes = dict(attributes)
        listed = {key: attributes.pop(key) for key in (children or {}) if key in attributes}
        dlt_id = f"dlt{table[:4]}{number}"
        row = {
            "id": record_id,
            "type": table,
            **defaults,
            **attributes,
            "_dlt_valid_from": ("sql", load_ts(valid_from)),
            "_dlt_valid_to": ("sql", load_ts(valid_to) if valid_to else "null"),
            "_dlt_load_id": valid_from,
            "_dlt_id": dlt_id,
        }
        _insert(con, table, row)
        for key, values in listed.items():
            child = children[key]
            for idx, value in enumerate(values):
                _insert(
                    con,
                    child,
                    {
                        "value": value,
                        "_dlt_parent_id": dlt_id,
                        "_dlt_list_idx": idx,
                        "_dlt_id": f"{dlt_id}c{idx}",
                    },
                )


def write_follow_up_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create and fill the catalog, action item and post mortem raw tables."""
    for table, columns in TABLES.items():
        body = ",\n    ".join(f"{name} {data_type}" for name, data_type in columns)
        con.execute(f"create table {RAW_SCHEMA}.{table} (\n    {body}\n)")
    named = {"attributes__managed_by": "web", **CATALOG_STAMPS}
    _insert_versions(
        con,
        "teams",
        TEAMS,
        {**named, "attributes__slug": None},
        {"members": "teams__attributes__user_ids"},
    )
    _insert_versions(
        con, "services", SERVICES, named, {"owners": "services__attributes__owner_group_ids"}
    )
    _insert_versions(
        con,
        "users",
        USERS,
        {"attributes__email": None, "attributes__time_zone": "Europe/Paris", **CATALOG_STAMPS},
    )
    for table, versions in SMALL_CATALOGS.items():
        defaults = dict(CATALOG_STAMPS)
        if table in ("environments", "functionalities"):
            defaults["attributes__managed_by"] = "web"
        _insert_versions(con, table, versions, defaults)
    _insert_versions(con, "action_items", ACTION_ITEMS, {"type": "incident_action_items"})
    _insert_versions(con, "post_mortems", POST_MORTEMS, {"type": "incident_post_mortems"})
    # Users' emails are required upstream.
    con.execute(f"update {RAW_SCHEMA}.users set attributes__email = 'user' || id || '@example.com'")
    # Team slugs follow the names (of every version).
    con.execute(f"update {RAW_SCHEMA}.teams set attributes__slug = lower(attributes__name)")
