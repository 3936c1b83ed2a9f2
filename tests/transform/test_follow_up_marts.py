"""Catalog, follow-up and retrospective marts after one `dbt build` of the fixture warehouse,
checked against values computed by hand from `fixtures_follow_ups.py` and the incidents of
`fixtures.py`. The as-of day of every overdue flag is 2026-03-06 (LOAD_2, the newest
completed load), whatever the clock says."""

from __future__ import annotations

import datetime as dt

import pytest

from .conftest import query, query_dicts

AS_OF = dt.datetime(2026, 3, 6, 12, 0, 30, 654321)


def follow_up(warehouse, follow_up_id: str) -> dict:
    rows = query_dicts(
        warehouse, "select * from marts.fct_follow_ups where follow_up_id = ?", [follow_up_id]
    )
    assert len(rows) == 1
    return rows[0]


def follow_through(warehouse, incident_id: str) -> dict:
    rows = query_dicts(
        warehouse,
        "select * from marts.incident_follow_through where incident_id = ?",
        [incident_id],
    )
    assert len(rows) == 1
    return rows[0]


def test_fct_follow_ups_has_one_row_per_action_item_deleted_ones_flagged(warehouse):
    rows = query(
        warehouse,
        "select follow_up_id, status, is_deleted, is_countable "
        "from marts.fct_follow_ups order by follow_up_id",
    )
    assert rows == [
        ("ai-1", "open", False, True),
        ("ai-2", "in_progress", False, True),
        ("ai-3", "done", False, True),
        ("ai-4", "cancelled", False, True),
        ("ai-5", "open", False, True),
        ("ai-6", "open", False, False),  # its incident inc-015 is deleted upstream
        ("ai-7", "done", False, True),  # the latest of two versions
        ("ai-8", "open", True, False),  # deleted upstream
        ("ai-9", "open", False, True),
    ]


def test_as_of_is_the_newest_completed_load_on_every_row(warehouse):
    assert query(warehouse, "select distinct as_of from marts.fct_follow_ups") == [(AS_OF,)]
    assert query(warehouse, "select distinct as_of from marts.incident_follow_through") == [
        (AS_OF,)
    ]


@pytest.mark.parametrize(
    ("follow_up_id", "expected"),
    [
        ("ai-1", True),  # open, due the day before the as-of day
        ("ai-2", False),  # in progress, due on the as-of day itself
        ("ai-3", False),  # done, past due
        ("ai-4", False),  # cancelled, past due
        ("ai-5", False),  # no due date
        ("ai-6", True),  # overdue, though not countable
        ("ai-9", False),  # due after the as-of day
    ],
)
def test_is_overdue_as_of_the_load(warehouse, follow_up_id, expected):
    assert follow_up(warehouse, follow_up_id)["is_overdue"] is expected


def test_days_to_complete_from_created_to_the_done_versions_updated_at(warehouse):
    assert follow_up(warehouse, "ai-3")["days_to_complete"] == pytest.approx(2.5)
    assert follow_up(warehouse, "ai-3")["completed_at"] == dt.datetime(2026, 3, 4)
    assert follow_up(warehouse, "ai-7")["days_to_complete"] == pytest.approx(0.75)
    assert follow_up(warehouse, "ai-1")["days_to_complete"] is None


def test_follow_up_incident_links(warehouse):
    ai6, ai9 = follow_up(warehouse, "ai-6"), follow_up(warehouse, "ai-9")
    assert (ai6["is_incident_loaded"], ai6["is_incident_deleted"]) == (True, True)
    assert (ai9["is_incident_loaded"], ai9["is_incident_deleted"]) == (False, False)
    assert ai9["assignee_user_id"] == "102"
    assert follow_up(warehouse, "ai-1")["due_date"] == dt.date(2026, 3, 5)


def test_incident_follow_through_counts_and_published_retrospective(warehouse):
    row = follow_through(warehouse, "inc-001")
    assert (row["has_retrospective"], row["is_retrospective_published"]) == (True, True)
    # resolved 2026-03-01 11:30, published (the published version's updated_at) 03-03 23:30
    assert row["days_to_published_retrospective"] == pytest.approx(2.5)
    assert row["retrospective_published_at"] == dt.datetime(2026, 3, 3, 23, 30)
    counts = [row[f"follow_ups_{k}"] for k in ("total", "open", "overdue", "done", "cancelled")]
    assert counts == [3, 2, 1, 1, 0]


@pytest.mark.parametrize(
    ("incident_id", "has", "published", "days"),
    [
        ("inc-003", True, True, None),  # published, but the incident is not resolved
        ("inc-013", True, False, None),  # a draft only
        ("inc-016", False, False, None),  # its retrospective was deleted upstream
        ("inc-005", False, False, None),
    ],
)
def test_incident_retrospective_flags(warehouse, incident_id, has, published, days):
    row = follow_through(warehouse, incident_id)
    assert row["has_retrospective"] is has
    assert row["is_retrospective_published"] is published
    assert row["days_to_published_retrospective"] == days


def test_follow_ups_of_deleted_incidents_and_deleted_items_are_not_counted(warehouse):
    assert follow_through(warehouse, "inc-015")["follow_ups_total"] == 0  # ai-6
    assert follow_through(warehouse, "inc-002")["follow_ups_total"] == 0  # ai-8
    assert query(warehouse, "select count(*) from marts.incident_follow_through") == query(
        warehouse, "select count(*) from marts.fct_incidents"
    )


def test_dim_teams_catalog_flags_members_and_owned_services(warehouse):
    rows = query(
        warehouse,
        "select team_id, team_name, is_in_catalog, is_deleted, member_count, "
        "services_owned_count from marts.dim_teams order by team_id",
    )
    assert rows == [
        ("3", "Platform", True, False, 2, 1),  # svc-old, also owned, is deleted
        ("5", "Payments", True, True, 2, 2),  # deleted: its last version's members
        ("7", "Data", False, False, 0, 0),  # seen only on incidents
        ("9", None, False, False, 0, 0),  # seen only on a dashboard
    ]


def test_dim_services(warehouse):
    rows = query(
        warehouse,
        "select service_id, service_name, is_in_catalog, is_deleted, primary_owner_team_id, "
        "owner_team_count, incident_count from marts.dim_services order by service_id",
    )
    assert rows == [
        ("svc-api", "Public API", True, False, "3", 2, 4),  # inc 1, 3, 6, 14 (not 015)
        ("svc-db", "Primary DB", True, False, "5", 1, 4),  # inc 1, 2, 13, 16
        ("svc-old", "Old search", True, True, "3", 1, 0),
        ("svc-web", "Web app", False, False, None, 0, 2),  # inc 5, 14; not in the catalog
    ]


def test_dim_users_follow_up_counts(warehouse):
    rows = query(
        warehouse,
        "select user_id, full_name, is_deleted, team_count, follow_ups_assigned, "
        "follow_ups_open, follow_ups_overdue, follow_ups_done from marts.dim_users "
        "order by user_id",
    )
    assert rows == [
        ("100", "Ada Lovelace", False, 1, 2, 2, 1, 0),  # ai-1, ai-2 (ai-6 not countable)
        ("101", "Grace Hopper", False, 1, 1, 0, 0, 1),  # ai-3 (ai-8 deleted); team 5 deleted
        ("102", "Linus Torvalds", True, 0, 1, 1, 0, 0),  # ai-9
    ]


@pytest.mark.parametrize(
    ("team_id", "mitigate", "follow_ups", "done", "completion", "with_retro", "retro_rate"),
    [
        # inc 1, 3, 6, 14: mitigated after 40 and 60 minutes; follow-ups ai-1, 2, 3, 5, 7
        # (ai-4 cancelled); resolved inc 1 and 14, inc-001 has a retrospective.
        ("3", 50.0, 5, 2, 2 / 5, 1, 1 / 2),
        # inc 1, 2, 13, 16: 40, 60, 20 minutes; ai-1, 2, 3 (ai-8 deleted); inc 1 and 13
        # have retrospectives (inc-016's is deleted) of 4 resolved.
        ("5", 40.0, 3, 1, 1 / 3, 2, 2 / 4),
        # inc 4, 14: never mitigated; ai-7 done; no retrospective of 2 resolved.
        ("7", None, 1, 1, 1.0, 0, 0.0),
    ],
)
def test_team_incident_summary_follow_through(
    warehouse, team_id, mitigate, follow_ups, done, completion, with_retro, retro_rate
):
    [row] = query_dicts(
        warehouse, "select * from marts.team_incident_summary where team_id = ?", [team_id]
    )
    assert row["median_minutes_to_mitigate"] == (
        None if mitigate is None else pytest.approx(mitigate)
    )
    assert (row["follow_ups"], row["follow_ups_done"]) == (follow_ups, done)
    assert row["follow_up_completion_rate"] == pytest.approx(completion)
    assert row["incidents_resolved_with_retrospective"] == with_retro
    assert row["retrospective_rate"] == pytest.approx(retro_rate)


def test_service_incident_summary_monthly(warehouse):
    rows = query(
        warehouse,
        "select service_id, month_start, incidents, incidents_resolved, "
        "median_minutes_to_mitigate, median_minutes_to_resolve, follow_ups, follow_ups_done, "
        "follow_up_completion_rate, retrospective_rate "
        "from marts.service_incident_summary_monthly order by service_id",
    )
    march = dt.date(2026, 3, 1)
    assert rows == [
        # the incidents of team 3: resolved inc-001 (90 min) and inc-014 (1441 min)
        ("svc-api", march, 4, 2, 50.0, 765.5, 5, 2, 0.4, 0.5),
        # the incidents of team 5: 90, 150, 60, 45 minutes to resolve
        ("svc-db", march, 4, 4, 40.0, 75.0, 3, 1, pytest.approx(1 / 3), 0.5),
        # inc-005 (45.5 min, no follow-ups) and inc-014 (1441 min, ai-7 done)
        ("svc-web", march, 2, 2, None, 743.25, 1, 1, 1.0, 0.0),
    ]
