"""Follow-up, retrospective and catalog marts after a real `just elt` on the demo API, their
headline figures recomputed in plain Python from the API's ground demo_truth."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date

import duckdb
import pytest

from ingestion.demo_api.more import DELETED_KEYS

pytestmark = pytest.mark.e2e

COUNTABLE = {"normal", "normal_sub", "backfilled"}


@pytest.fixture(scope="module")
def con(demo_run):
    connection = duckdb.connect(str(demo_run.duckdb_path), read_only=True)
    yield connection
    connection.close()


def scalar(con, sql: str):
    return con.execute(sql).fetchone()[0]


def as_of_day(con) -> date:
    """The UTC day of the newest completed load: the as-of day of `is_overdue`."""
    loaded = scalar(con, "select max(inserted_at) from raw._dlt_loads where status = 0")
    return loaded.astimezone(UTC).date()


def test_follow_up_rows_and_status_counts_match_ground_truth(con, demo_truth):
    expected = Counter(item["attributes"]["status"] for item in demo_truth["action_items"])
    got = dict(
        con.execute(
            "select status, count(*) from marts.fct_follow_ups where not is_deleted group by 1"
        ).fetchall()
    )
    assert got == dict(expected)
    assert sum(expected.values()) > 0
    deleted = set(demo_truth[DELETED_KEYS["action_items"]])
    live = {
        row[0]
        for row in con.execute(
            "select follow_up_id from marts.fct_follow_ups where not is_deleted"
        ).fetchall()
    }
    assert live == {item["id"] for item in demo_truth["action_items"]}
    assert not deleted & live


def test_overdue_count_as_of_the_load_matches_ground_truth(con, demo_truth):
    day = as_of_day(con)
    expected = sum(
        1
        for item in demo_truth["action_items"]
        if item["attributes"]["status"] in ("open", "in_progress")
        and item["attributes"].get("due_date")
        and date.fromisoformat(item["attributes"]["due_date"][:10]) < day
    )
    got = scalar(con, "select count(*) from marts.fct_follow_ups where is_overdue and is_countable")
    assert got == expected > 0
    assert scalar(con, "select cast(max(as_of) as date) from marts.fct_follow_ups") == day


def test_retrospective_rate_matches_ground_truth(con, demo_truth):
    deleted = set(demo_truth["deleted_incident_ids"])
    with_retrospective = {
        pm["relationships"]["incident"]["data"]["id"] for pm in demo_truth["post_mortems"]
    }
    resolved = [
        incident["id"]
        for incident in demo_truth["incidents"]
        if incident["attributes"]["kind"] in COUNTABLE
        and incident["attributes"]["resolved_at"] is not None
        and incident["id"] not in deleted
    ]
    expected = sum(1 for i in resolved if i in with_retrospective) / len(resolved)
    got = scalar(
        con,
        "select avg(case when has_retrospective then 1.0 else 0.0 end)"
        " from marts.incident_follow_through where is_countable and is_resolved",
    )
    assert got == pytest.approx(expected)
    assert 0 < expected < 1


def test_follow_up_totals_agree_between_marts(con):
    assert scalar(con, "select sum(follow_ups_total) from marts.incident_follow_through") == scalar(
        con,
        "select count(*) from marts.fct_follow_ups where is_countable and is_incident_loaded",
    )


@pytest.mark.parametrize(
    ("mart", "key", "resource"),
    [
        ("dim_teams", "team_id", "teams"),
        ("dim_services", "service_id", "services"),
        ("dim_users", "user_id", "users"),
    ],
)
def test_catalog_dimensions_match_ground_truth(con, demo_truth, mart, key, resource):
    in_catalog = "is_in_catalog" if mart != "dim_users" else "true"
    live = {
        row[0]
        for row in con.execute(
            f"select {key} from marts.{mart} where {in_catalog} and not is_deleted"
        ).fetchall()
    }
    assert live == {str(record["id"]) for record in demo_truth[resource]}
    flagged = {
        row[0] for row in con.execute(f"select {key} from marts.{mart} where is_deleted").fetchall()
    }
    assert flagged <= {str(i) for i in demo_truth[DELETED_KEYS[resource]]}


def test_every_team_and_service_on_an_incident_is_in_the_dimensions(con):
    assert (
        scalar(
            con,
            "select count(*) from marts.bridge_incident_services as b"
            " left join marts.dim_services as d on b.service_id = d.service_id"
            " where d.service_id is null",
        )
        == 0
    )
    assert (
        scalar(
            con,
            "select count(*) from marts.bridge_incident_teams as b"
            " left join marts.dim_teams as d on b.team_id = d.team_id where d.team_id is null",
        )
        == 0
    )
