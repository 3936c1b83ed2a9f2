"""Every fault flag, set at runtime through /_demo/faults (the CLI uses the same names)."""

from __future__ import annotations

import json

import pytest
import requests

from ingestion.demo_api import run_demo_api
from tests.demo_api.helpers import authed, get


def _page(session, api, number, resource="incidents", size=10):
    return get(session, api, resource, **{"page[size]": size, "page[number]": number})


def test_error_rate_answers_5xx_reproducibly(api, session):
    api.set_faults(error_rate=0.5)
    first = [_page(session, api, n).status_code for n in range(1, 21)]
    api.set_faults(error_rate=0.5)  # resets attempt counters: same draws again
    second = [_page(session, api, n).status_code for n in range(1, 21)]
    assert first == second
    assert set(first) - {200} <= {500, 502, 503}
    assert 3 <= sum(code != 200 for code in first) <= 17


def test_error_status_overrides_the_error_code(api, session):
    api.set_faults(error_rate=1.0, error_status=503)
    response = _page(session, api, 1)
    assert response.status_code == 503
    assert response.json()["errors"][0]["status"] == "503"


def test_retrying_a_failed_url_can_succeed(api, session):
    api.set_faults(error_rate=0.5)
    codes = [_page(session, api, 1).status_code for _ in range(12)]
    assert 200 in codes and any(code >= 500 for code in codes)


def test_slow_ms_delays_responses(api, session):
    import time

    api.set_faults(slow_ms=300)
    start = time.perf_counter()
    assert _page(session, api, 1).status_code == 200
    assert time.perf_counter() - start >= 0.3


def test_truncate_page_cuts_json_mid_body(api, session):
    api.set_faults(truncate_page=2)
    assert _page(session, api, 1).json()["data"]
    broken = _page(session, api, 2)
    assert broken.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(broken.content)
    assert _page(session, api, 3).json()["data"]


def test_html_page_returns_html_with_200(api, session):
    api.set_faults(html_page=1)
    response = _page(session, api, 1)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert response.text.lstrip().startswith("<!DOCTYPE html>")


def test_no_data_page_omits_data_key(api, session):
    api.set_faults(no_data_page=2)
    body = _page(session, api, 2).json()
    assert "data" not in body and "meta" in body and "links" in body


def test_rename_field_from_page(api, session):
    api.set_faults(rename_field="title=headline", fault_from_page=2)
    first = _page(session, api, 1).json()["data"][0]["attributes"]
    second = _page(session, api, 2).json()["data"][0]["attributes"]
    assert "title" in first and "headline" not in first
    assert "headline" in second and "title" not in second


@pytest.mark.parametrize(
    ("spec", "field", "kind"),
    [("sequential_id=string", "sequential_id", str), ("started_at=int", "started_at", int)],
)
def test_retype_field(api, session, spec, field, kind):
    api.set_faults(retype_field=spec)
    records = _page(session, api, 1).json()["data"]
    values = [r["attributes"][field] for r in records if r["attributes"][field] is not None]
    assert values and all(type(v) is kind for v in values)


def test_duplicate_rate_repeats_previous_page_records(api, session):
    api.set_faults(duplicate_rate=1.0)
    first = _page(session, api, 1).json()["data"]
    second = _page(session, api, 2).json()["data"]
    assert [r["id"] for r in second[:10]] == [r["id"] for r in first]
    assert len(second) == 20


def test_always_429(api, session):
    api.set_faults(always_429=True)
    response = _page(session, api, 1)
    assert response.status_code == 429
    assert response.headers["RateLimit-Remaining"] == "0"
    assert "Retry-After" not in response.headers


def test_fail_after_pages_serves_n_pages_then_500_forever(api, session):
    api.set_faults(fail_after_pages=2)
    codes = [_page(session, api, n).status_code for n in (1, 2, 3, 1, 4)]
    assert codes == [200, 200, 500, 500, 500]


def test_fault_resource_limits_faults_to_one_resource(api, session):
    api.set_faults(always_429=True, fault_resource="dashboards")
    assert _page(session, api, 1, "incidents").status_code == 200
    assert _page(session, api, 1, "dashboards").status_code == 429


def test_setting_faults_replaces_previous_ones(api, session):
    api.set_faults(always_429=True)
    api.set_faults()
    assert _page(session, api, 1).status_code == 200


def test_unknown_fault_name_is_rejected(api):
    response = requests.post(api.root_url + "/_demo/faults", json={"explode": 1}, timeout=10)
    assert response.status_code == 400


def test_faults_from_run_demo_api_argument_reach_the_subprocess():
    with (
        run_demo_api(faults={"html_page": 1, "fault_resource": "dashboards"}) as api,
        authed(api) as s,
    ):
        assert _page(s, api, 1, "incidents").status_code == 200
        dash = _page(s, api, 1, "dashboards")
        assert dash.headers["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("resource", ["incidents", "dashboards"])
def test_omit_meta_leaves_the_listed_keys_out(api, session, resource):
    api.set_faults(omit_meta=["total_pages", "total_count"])
    meta = _page(session, api, 1, resource).json()["meta"]
    assert "total_pages" not in meta and "total_count" not in meta
    assert meta["current_page"] == 1 and meta["next_page"] == 2


def test_omit_meta_accepts_a_comma_string_and_next_cursor(api, session):
    api.set_faults(omit_meta="next_page,next_cursor")
    meta = _page(session, api, 1).json()["meta"]
    assert set(meta) == {"current_page", "prev_page", "total_count", "total_pages"}
    assert api.set_faults(omit_meta="next_page, next_cursor")["omit_meta"] == [
        "next_page",
        "next_cursor",
    ]


def test_unknown_omit_meta_key_is_rejected(api):
    response = requests.post(
        api.root_url + "/_demo/faults", json={"omit_meta": ["pages"]}, timeout=10
    )
    assert response.status_code == 400


@pytest.mark.parametrize("resource", ["incidents", "dashboards"])
def test_omit_links_drops_the_links_object(api, session, resource):
    api.set_faults(omit_links=True)
    body = _page(session, api, 1, resource).json()
    assert "links" not in body and body["data"] and body["meta"]


def test_new_flags_reach_the_subprocess_through_cli_flags():
    faults = {
        "omit_meta": ["total_pages", "next_cursor"],
        "omit_links": True,
        "churn_per_page": 2,
        "churn_delete_share": 1.0,
    }
    with (
        run_demo_api(incidents=40, dashboards=2, faults=faults, rate_limit_headers="x") as api,
        authed(api) as s,
    ):
        body = _page(s, api, 1).json()
        assert "links" not in body
        assert "total_pages" not in body["meta"] and "next_cursor" not in body["meta"]
        assert "X-RateLimit-Used" in _page(s, api, 1, "dashboards").headers
        assert api.health()["live_deletes"] == 2  # one incidents page; dashboards never churn
        controls = requests.get(api.root_url + "/_demo/faults", timeout=10).json()
        assert controls["churn_per_page"] == 2 and controls["rate_limit_headers"] == "x"
