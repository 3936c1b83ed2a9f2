"""Cursor paging on incidents: ``page[after]`` with ``meta.next_cursor`` (keyset order)."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from ingestion.demo_api import run_demo_api
from tests.demo_api.helpers import authed, fetch_all, fetch_all_by_cursor, get

SORTS = [None, "updated_at", "-updated_at", "created_at", "-created_at"]


def _sort_params(sort: str | None, size: int) -> dict[str, object]:
    return {"page[size]": size} if sort is None else {"page[size]": size, "sort": sort}


@pytest.mark.parametrize("sort", SORTS)
def test_cursor_walk_sees_every_incident_once_in_the_offset_order(api, session, sort):
    params = _sort_params(sort, 7)
    by_cursor = fetch_all_by_cursor(session, api, "incidents", **params)
    ids = [r["id"] for r in by_cursor]
    assert len(ids) == len(set(ids)) == 500
    assert ids == [r["id"] for r in fetch_all(session, api, "incidents", **params)]


def test_cursor_walk_with_filters_matches_offset_walk(api, session):
    params = {"page[size]": 9, "sort": "-updated_at", "filter[status]": "resolved,closed"}
    by_cursor = fetch_all_by_cursor(session, api, "incidents", **params)
    by_offset = fetch_all(session, api, "incidents", **params)
    assert [r["id"] for r in by_cursor] == [r["id"] for r in by_offset]
    assert 0 < len(by_cursor) < 500


def test_cursor_walk_across_updated_at_ties(api, session):
    """Page size 1 puts a page boundary inside every run of equal updated_at values."""
    params = {"page[size]": 1, "sort": "updated_at", "filter[status]": "closed"}
    by_cursor = fetch_all_by_cursor(session, api, "incidents", **params)
    values = [r["attributes"]["updated_at"] for r in by_cursor]
    assert len(set(values)) < len(values), "the selection should contain ties"
    assert [r["id"] for r in by_cursor] == [
        r["id"] for r in fetch_all(session, api, "incidents", **{**params, "page[size]": 100})
    ]


def test_last_page_has_null_next_cursor_and_next_link(api, session):
    body = get(session, api, "incidents", **{"page[size]": 100}).json()
    for _ in range(4):
        body = get(
            session,
            api,
            "incidents",
            **{"page[size]": 100, "page[after]": body["meta"]["next_cursor"]},
        ).json()
    assert len(body["data"]) == 100
    assert body["meta"]["next_cursor"] is None
    assert body["links"]["next"] is None


def test_cursor_page_meta_has_no_page_numbers_and_next_link_carries_page_after(api, session):
    first = get(session, api, "incidents", **{"page[size]": 10, "sort": "updated_at"}).json()
    cursor = first["meta"]["next_cursor"]
    params = {"page[size]": 10, "sort": "updated_at", "page[after]": cursor, "page[number]": 7}
    body = get(session, api, "incidents", **params).json()
    meta = body["meta"]
    assert meta["current_page"] is meta["next_page"] is meta["prev_page"] is None
    assert meta["total_count"] == 500 and meta["total_pages"] == 50
    # page[number] is ignored next to page[after]: this is the second page, not the seventh
    second = get(
        session, api, "incidents", **{"page[size]": 10, "sort": "updated_at", "page[number]": 2}
    )
    assert [r["id"] for r in body["data"]] == [r["id"] for r in second.json()["data"]]
    query = parse_qs(urlsplit(body["links"]["next"]).query)
    assert query["page[after]"] == [meta["next_cursor"]]
    assert query["sort"] == ["updated_at"] and "page[number]" not in query
    following = session.get(body["links"]["next"], timeout=30).json()
    third = get(
        session, api, "incidents", **{"page[size]": 10, "sort": "updated_at", "page[number]": 3}
    )
    assert [r["id"] for r in following["data"]] == [r["id"] for r in third.json()["data"]]


def test_offset_pages_also_carry_next_cursor(api, session):
    page2 = get(session, api, "incidents", **{"page[size]": 10, "page[number]": 2}).json()
    after = get(
        session, api, "incidents", **{"page[size]": 10, "page[after]": page2["meta"]["next_cursor"]}
    ).json()
    assert [r["attributes"]["sequential_id"] for r in after["data"]] == list(range(21, 31))


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    ["not a cursor!", "%%%", _b64("hello"), _b64("v1:title:1:2"), _b64("v1:updated_at:x:2")],
)
def test_malformed_cursor_is_400_naming_page_after(api, session, cursor):
    response = get(session, api, "incidents", **{"page[after]": cursor})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["status"] == "400"
    assert error["source"] == {"parameter": "page[after]"}
    assert "page[after]" in error["detail"]


def test_cursor_from_another_sort_is_400(api, session):
    first = get(session, api, "incidents", **{"sort": "updated_at"}).json()
    response = get(
        session,
        api,
        "incidents",
        **{"sort": "created_at", "page[after]": first["meta"]["next_cursor"]},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["source"] == {"parameter": "page[after]"}


def test_no_cursor_paging_omits_next_cursor_and_ignores_page_after(api, session):
    cursor = get(session, api, "incidents", **{"page[size]": 10}).json()["meta"]["next_cursor"]
    api.set_faults(no_cursor_paging=True)
    body = get(session, api, "incidents", **{"page[size]": 10, "page[after]": cursor}).json()
    assert "next_cursor" not in body["meta"]
    assert body["meta"]["current_page"] == 1
    assert [r["attributes"]["sequential_id"] for r in body["data"]] == list(range(1, 11))
    malformed = get(session, api, "incidents", **{"page[after]": "garbage"})
    assert malformed.status_code == 200


def test_no_cursor_paging_from_run_demo_api_reaches_the_subprocess():
    with (
        run_demo_api(incidents=30, dashboards=2, faults={"no_cursor_paging": True}) as api,
        authed(api) as s,
    ):
        assert "next_cursor" not in get(s, api, "incidents").json()["meta"]


def test_dashboards_have_no_cursor_paging(api, session):
    body = get(session, api, "dashboards", **{"page[size]": 10}).json()
    assert "next_cursor" not in body["meta"]
    ignored = get(session, api, "dashboards", **{"page[size]": 10, "page[after]": "garbage"})
    assert ignored.status_code == 200
    assert ignored.json()["data"] == body["data"]
