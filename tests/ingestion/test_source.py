"""The REST API source: the starting config made valid, paging, auth, record checks."""

from __future__ import annotations

import pytest
from dlt.extract.exceptions import ResourceExtractionError
from dlt.sources.rest_api import rest_api_source

from ingestion.http import ApiAuthError, ApiSession, RetryPolicy
from ingestion.load import make_pipeline
from ingestion.records import RecordShapeError
from ingestion.source import FULL_SCAN_COLUMNS, analytics_api_source, build_config
from tests.ingestion.jsonapi_server import jsonapi_server
from tests.ingestion.records_factory import dashboard, incident


def extract(settings, server, resource: str, token: str = "fixture-token") -> list[dict]:
    # a fresh pipeline of its own: outside one, dlt's incremental would read the state of
    # whichever pipeline another test in this process made active last
    make_pipeline(settings)
    session = ApiSession(server.base_url, RetryPolicy(backoff_factor=0.01, timeout=5))
    source = analytics_api_source(settings, server.base_url, token, session)
    return list(source.resources[resource])


def test_config_validates_on_dlt(settings):
    session = ApiSession("http://127.0.0.1:1/v1/")
    config = build_config(settings, "http://127.0.0.1:1/v1/", "token", session)
    source = rest_api_source(config)
    assert set(source.resources) == {"dashboards", "incidents", "alerts", *FULL_SCAN_COLUMNS}


def test_config_keeps_the_starting_configs_intent(settings):
    config = build_config(settings, "http://x/v1/", "token", ApiSession("http://x/v1/"))
    assert config["client"]["auth"] == {"type": "bearer", "token": "token"}
    assert config["resource_defaults"]["primary_key"] == "id"
    assert config["resource_defaults"]["write_disposition"] == "merge"
    assert str(config["resource_defaults"]["endpoint"]["data_selector"]) == "data"
    assert config["resource_defaults"]["endpoint"]["params"] == {"page[size]": 50}
    assert config["client"]["paginator"] == {"type": "json_api"}


def test_the_first_page_is_asked_for_by_number(settings):
    with jsonapi_server({"dashboards": [dashboard(1)]}) as server:
        extract(settings, server, "dashboards")
    assert "page%5Bnumber%5D=1" in server.state.requests[0]


def test_paging_stops_at_an_exact_multiple_of_the_page_size(settings):
    with jsonapi_server({"dashboards": [dashboard(n) for n in range(100)]}) as server:
        rows = extract(settings, server, "dashboards")
    assert len(rows) == 100
    assert len(server.state.requests) == 2


def test_paging_reads_one_short_last_page(settings):
    with jsonapi_server({"dashboards": [dashboard(n) for n in range(101)]}) as server:
        rows = extract(settings, server, "dashboards")
    assert [r["id"] for r in rows] == [f"dash-{n}" for n in range(101)]
    assert len(server.state.requests) == 3


def test_paging_an_empty_collection_makes_one_request(settings):
    with jsonapi_server({"dashboards": []}) as server:
        rows = extract(settings, server, "dashboards")
    assert rows == []
    assert len(server.state.requests) == 1


def test_incidents_are_requested_sorted_and_filtered_from_the_cursor(settings):
    with jsonapi_server({"incidents": [incident(1)]}) as server:
        extract(settings, server, "incidents")
    query = server.state.requests[0]
    assert "sort=updated_at" in query
    assert "filter%5Bupdated_at%5D%5Bgte%5D=2000-01-01T00" in query
    assert "page%5Bsize%5D=50" in query


def test_a_wrong_token_fails_with_a_clear_message(settings):
    with (
        jsonapi_server({"dashboards": [dashboard(1)]}) as server,
        pytest.raises(ResourceExtractionError) as info,
    ):
        extract(settings, server, "dashboards", token="wrong")
    cause = info.value.__cause__ or info.value.__context__
    assert isinstance(cause, ApiAuthError)
    assert "the API rejected the token" in str(cause)
    assert "API_KEY" in str(cause)
    assert len(server.state.requests) == 1  # no retries on 401


def test_a_renamed_core_field_stops_extraction_naming_the_field(settings):
    record = incident(1)
    record["attributes"]["headline"] = record["attributes"].pop("title")
    with (
        jsonapi_server({"incidents": [record]}) as server,
        pytest.raises(ResourceExtractionError) as info,
    ):
        extract(settings, server, "incidents")
    assert isinstance(info.value.__cause__ or info.value.__context__, RecordShapeError)
    assert "attributes.title" in str(info.value)
