"""The JSON:API paginator: when it stops, what it asks next, and completeness under change.

These drive `JsonApiPaginator` the way dlt's REST client does (init_request, then per page
update_state and update_request) against an in-memory list endpoint, so every rule is
checked without a network; the demo-API tests in test_live_changes.py cover the same over
HTTP through the whole pipeline.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from requests import Request, Response

from ingestion.paging import JsonApiPaginator, PagingError, has_more, parse_instant

T0 = datetime(2026, 7, 1, tzinfo=UTC)
GTE = "filter[updated_at][gte]"


def response(body: dict[str, Any], url: str = "http://api.test/v1/incidents") -> Response:
    answer = Response()
    answer.status_code = 200
    answer._content = json.dumps(body).encode()
    answer.url = url
    return answer


class ListEndpoint:
    """An in-memory `/v1/incidents`: offset and keyset reads over a changing collection."""

    def __init__(self, count: int, cursor: bool = False, meta: bool = True) -> None:
        self.updated = {f"inc-{n:04d}": T0 + timedelta(seconds=n) for n in range(count)}
        self.cursor = cursor
        self.meta = meta
        self.requests: list[dict[str, Any]] = []

    def order(self, gte: datetime | None) -> list[str]:
        ids = sorted(self.updated, key=lambda i: (self.updated[i], i))
        return [i for i in ids if gte is None or self.updated[i] >= gte]

    def record(self, key: str) -> dict[str, Any]:
        moment = self.updated[key].isoformat().replace("+00:00", "Z")
        return {"id": key, "type": "incidents", "attributes": {"updated_at": moment}}

    def get(self, params: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(dict(params))
        size = int(params["page[size]"])
        selected = self.order(parse_instant(params.get(GTE)))
        if "page[after]" in params:
            start = selected.index(params["page[after]"]) + 1
            number = None
        else:
            number = int(params.get("page[number]", 1))
            start = (number - 1) * size
        page = selected[start : start + size]
        more = start + size < len(selected)
        body: dict[str, Any] = {"data": [self.record(k) for k in page]}
        if self.meta:
            total_pages = -(-len(selected) // size)
            body["meta"] = {
                "current_page": number,
                "next_page": number + 1 if number and more else None,
                "total_count": len(selected),
                "total_pages": total_pages,
            }
            if self.cursor:
                body["meta"]["next_cursor"] = page[-1] if more and page else None
        return body

    def touch(self, key: str) -> None:
        """Update one record now: it moves to the end of the updated_at order."""
        self.updated[key] = max(self.updated.values()) + timedelta(milliseconds=1)


def walk(endpoint: ListEndpoint, paginator: JsonApiPaginator, size: int, between=None) -> list:
    """Page to the end as dlt's RESTClient.paginate does; `between(n)` runs after page n."""
    request = Request("GET", "http://api.test/v1/incidents", params={"page[size]": size})
    if paginator.keyset_param:
        request.params[GTE] = "2000-01-01T00:00:00Z"
    paginator.init_request(request)
    seen: list[str] = []
    for n in range(10_000):
        body = endpoint.get(request.params)
        data = body["data"]
        paginator.update_state(response(body), data)
        paginator.update_request(request)
        seen += [r["id"] for r in data]
        if between:
            between(n)
        if not paginator.has_next_page:
            return seen
    raise AssertionError("paging did not stop")


def churn(endpoint: ListEndpoint):
    """After each of the first 15 pages, update one record already read and one ahead."""

    def update_two(page: int) -> None:
        if page < 15:
            order = endpoint.order(None)
            for key in (order[page * 5], order[page * 10 + 15]):
                endpoint.touch(key)

    return update_two


def keyset() -> JsonApiPaginator:
    return JsonApiPaginator(keyset_param=GTE, keyset_path="attributes.updated_at")


@pytest.mark.parametrize(
    ("body", "returned", "expected"),
    [
        ({"links": {"next": None}, "meta": {"next_page": None}}, 10, False),
        ({"links": {"next": "http://api.test/v1/x?page[number]=2"}}, 10, True),
        ({"meta": {"next_page": 3}}, 10, True),
        ({"meta": {"current_page": 2, "total_pages": 2}}, 10, False),
        ({"meta": {"next_cursor": "abc"}}, 10, True),
        ({}, 10, True),  # no paging information and a full page: ask once more
        ({}, 9, False),  # ... and a short page is the last
        ({"meta": {"next_page": 2}}, 0, False),  # an empty page always ends the walk
    ],
)
def test_the_end_of_a_list_is_read_from_whichever_signal_the_api_sends(body, returned, expected):
    assert has_more(body, returned, page_size=10, page_number=1) is expected


def test_a_list_without_total_pages_is_paged_to_its_end():
    endpoint = ListEndpoint(25, meta=False)
    seen = walk(endpoint, JsonApiPaginator(), size=10)
    assert seen == endpoint.order(None)
    assert len(endpoint.requests) == 3


def test_next_cursor_is_followed_with_page_after_instead_of_page_numbers():
    endpoint = ListEndpoint(25, cursor=True)
    seen = walk(endpoint, JsonApiPaginator(), size=10)
    assert seen == endpoint.order(None)
    assert [r.get("page[after]") for r in endpoint.requests] == [None, "inc-0009", "inc-0019"]
    assert "page[number]" not in endpoint.requests[-1]


def test_a_cursor_that_does_not_move_stops_the_walk_instead_of_looping():
    paginator = JsonApiPaginator()
    request = Request("GET", "http://api.test/v1/incidents", params={"page[size]": 1})
    paginator.init_request(request)
    body = {"data": [{"id": "a"}], "meta": {"next_cursor": "same"}}
    paginator.update_state(response(body), body["data"])
    with pytest.raises(PagingError, match=r"same meta\.next_cursor twice"):
        paginator.update_state(response(body), body["data"])


def test_keyset_paging_asks_from_the_newest_updated_at_seen_and_drops_the_reread():
    endpoint = ListEndpoint(25)
    seen = walk(endpoint, keyset(), size=10)
    assert seen == endpoint.order(None)  # each record once, in order
    second = endpoint.requests[1]
    assert second[GTE] == endpoint.record("inc-0009")["attributes"]["updated_at"]
    assert second["page[number]"] == 1


def test_keyset_paging_walks_a_tie_group_larger_than_a_page_by_page_number():
    endpoint = ListEndpoint(30)
    for n in range(5, 20):  # 15 records share one instant: more than a page of 10
        endpoint.updated[f"inc-{n:04d}"] = T0 + timedelta(seconds=5)
    seen = walk(endpoint, keyset(), size=10)
    assert sorted(seen) == sorted(endpoint.updated)
    assert len(seen) == len(set(seen))


def test_keyset_paging_compares_instants_not_their_text():
    paginator = keyset()
    request = Request("GET", "http://api.test/v1/incidents", params={"page[size]": 2, GTE: "x"})
    paginator.init_request(request)
    # 05:00-07:00 is 12:00 UTC: later than 10:00Z although its text sorts first
    data = [
        {"id": "a", "attributes": {"updated_at": "2026-07-01T10:00:00.000Z"}},
        {"id": "b", "attributes": {"updated_at": "2026-07-01T05:00:00.000-07:00"}},
    ]
    paginator.update_state(response({"data": data, "meta": {"next_page": 2}}), data)
    paginator.update_request(request)
    assert request.params[GTE] == "2026-07-01T05:00:00.000-07:00"


@pytest.mark.parametrize("cursor", [False, True], ids=["keyset", "cursor"])
def test_a_walk_stays_complete_while_records_are_updated_during_it(cursor):
    endpoint = ListEndpoint(200, cursor=cursor)
    at_start = set(endpoint.updated)

    paginator = JsonApiPaginator() if cursor else keyset()
    seen = walk(endpoint, paginator, size=10, between=churn(endpoint))
    assert at_start <= set(seen)


def test_an_offset_walk_loses_records_while_they_change():
    """The defect the keyset and cursor walks avoid: page numbers over a moving order."""
    endpoint = ListEndpoint(200)
    at_start = set(endpoint.updated)

    seen = walk(endpoint, JsonApiPaginator(), size=10, between=churn(endpoint))
    assert not at_start <= set(seen)


def test_parse_instant_reads_offsets_and_naive_times_as_utc():
    assert parse_instant("2026-07-01T05:00:00-07:00") == datetime(2026, 7, 1, 12, tzinfo=UTC)
    assert parse_instant("2026-07-01T05:00:00") == datetime(2026, 7, 1, 5, tzinfo=UTC)
    assert parse_instant("yesterday") is None


def test_a_server_that_ignores_the_keyset_filter_fails_instead_of_looping():
    class IgnoresFilter(ListEndpoint):
        def order(self, gte):
            return super().order(None)

    with pytest.raises(PagingError, match=r"ignored filter\[updated_at\]\[gte\]"):
        walk(IgnoresFilter(25), keyset(), size=10)
