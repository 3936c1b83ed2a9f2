"""Paging: envelope, links, meta, edge pages and page[size] validation."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from ingestion.demo_api import run_demo_api
from tests.demo_api.helpers import fetch_all, get


def _page_of(link: str) -> int:
    return int(parse_qs(urlsplit(link).query)["page[number]"][0])


def test_list_envelope_has_data_links_meta_and_jsonapi_content_type(api, session):
    response = get(session, api, "incidents", **{"page[size]": 10})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/vnd.api+json"
    body = response.json()
    assert set(body) == {"data", "links", "meta"}
    assert len(body["data"]) == 10
    assert {r["type"] for r in body["data"]} == {"incidents"}
    assert all(isinstance(r["id"], str) for r in body["data"])
    meta = dict(body["meta"])
    assert isinstance(meta.pop("next_cursor"), str)  # incidents also offer cursor paging
    assert meta == {
        "current_page": 1,
        "next_page": 2,
        "prev_page": None,
        "total_count": 500,
        "total_pages": 50,
    }


def test_default_page_size_is_20(api, session):
    body = get(session, api, "dashboards").json()
    assert len(body["data"]) == 20
    assert body["meta"]["total_pages"] == 2


def test_links_are_absolute_keep_params_and_are_null_at_the_ends(api, session):
    params = {"page[size]": 100, "sort": "updated_at"}
    first = get(session, api, "incidents", **params).json()["links"]
    assert first["prev"] is None
    assert first["self"].startswith(api.base_url + "incidents?")
    assert _page_of(first["next"]) == 2 and _page_of(first["last"]) == 5
    query = parse_qs(urlsplit(first["next"]).query)
    assert query["page[size]"] == ["100"] and query["sort"] == ["updated_at"]
    last = get(session, api, "incidents", **params, **{"page[number]": 5}).json()["links"]
    assert last["next"] is None
    assert _page_of(last["prev"]) == 4


def test_following_next_links_walks_every_page(api, session):
    url = api.base_url + "incidents?page[size]=100"
    seen = 0
    while url:
        body = session.get(url, timeout=30).json()
        seen += len(body["data"])
        url = body["links"]["next"]
    assert seen == 500


def test_exact_multiple_of_page_size_has_no_empty_last_page(api, session):
    body = get(session, api, "incidents", **{"page[size]": 50, "page[number]": 10}).json()
    assert len(body["data"]) == 50
    assert body["meta"]["total_pages"] == 10
    assert body["meta"]["next_page"] is None


def test_short_last_page(api, session):
    body = get(session, api, "incidents", **{"page[size]": 30, "page[number]": 17}).json()
    assert len(body["data"]) == 500 - 16 * 30
    assert body["meta"]["total_pages"] == 17
    assert body["meta"]["next_page"] is None


def test_page_past_the_end_is_200_with_empty_data(api, session):
    response = get(session, api, "dashboards", **{"page[size]": 10, "page[number]": 99})
    assert response.status_code == 200
    body = response.json()
    assert body["data"] == []
    assert body["meta"]["total_count"] == 40
    assert body["links"]["next"] is None


def test_empty_collection_has_zero_pages():
    with run_demo_api(incidents=0, dashboards=0, in_process=True) as api:
        response = get_session_free(api, "incidents")
        body = response.json()
        assert body["data"] == []
        assert body["meta"]["total_count"] == 0
        assert body["meta"]["total_pages"] == 0
        assert body["meta"]["next_page"] is None
        assert body["links"]["next"] is None and body["links"]["prev"] is None


def get_session_free(api, resource, **params):
    import requests

    return requests.get(api.base_url + resource, params=params, headers=api.headers, timeout=30)


@pytest.mark.parametrize("size", ["0", "-1", "101", "abc", "1.5", ""])
def test_invalid_page_size_is_400_jsonapi_error(api, session, size):
    response = get(session, api, "incidents", **{"page[size]": size})
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["status"] == "400"
    assert error["title"] and "page[size]" in error["detail"]


@pytest.mark.parametrize("number", ["0", "-3", "x"])
def test_invalid_page_number_is_400(api, session, number):
    response = get(session, api, "dashboards", **{"page[number]": number})
    assert response.status_code == 400
    assert response.json()["errors"][0]["status"] == "400"


def test_max_page_size_100_is_accepted(api, session):
    response = get(session, api, "incidents", **{"page[size]": 100})
    assert response.status_code == 200
    assert len(response.json()["data"]) == 100


@pytest.mark.parametrize("resource", ["incidents", "dashboards"])
def test_union_of_pages_is_every_record_without_duplicates(api, session, resource):
    records = fetch_all(session, api, resource, **{"page[size]": 7})
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))
    truth = api.ground_truth()[resource]
    assert ids == [r["id"] for r in truth]


def test_dashboards_ignore_unknown_filter_and_sort_params(api, session):
    plain = get(session, api, "dashboards", **{"page[size]": 40}).json()["data"]
    odd = get(
        session, api, "dashboards", **{"page[size]": 40, "sort": "bogus", "filter[x]": "1"}
    ).json()["data"]
    assert odd == plain
