"""Bearer auth and the sliding-window rate limit with the real API's headers."""

from __future__ import annotations

import time

import pytest
import requests

from ingestion.demo_api import run_demo_api
from tests.demo_api.helpers import authed

RATE_HEADERS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer wrong-token",
        "Basic dXNlcjpwYXNz",
        "Bearer",
        "Bearer   ",
        "token-without-scheme",
    ],
)
def test_missing_wrong_or_malformed_auth_is_401(api, header):
    headers = {} if header is None else {"Authorization": header}
    response = requests.get(api.base_url + "incidents", headers=headers, timeout=10)
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["status"] == "401"
    assert api.token not in response.text


def test_valid_bearer_token_is_accepted_case_insensitive_scheme(api):
    response = requests.get(
        api.base_url + "dashboards", headers={"Authorization": f"bearer {api.token}"}, timeout=10
    )
    assert response.status_code == 200


def test_rate_limit_headers_on_every_v1_response(api, session):
    responses = [
        session.get(api.base_url + "incidents", timeout=10),
        session.get(api.base_url + "incidents", params={"page[size]": 0}, timeout=10),
        session.get(api.base_url + "nothing-here", timeout=10),
        requests.get(api.base_url + "incidents", timeout=10),
    ]
    assert [r.status_code for r in responses] == [200, 400, 404, 401]
    for response in responses:
        for name in RATE_HEADERS:
            assert response.headers[name].isdigit(), name
    first = responses[0]
    assert first.headers["RateLimit-Limit"] == "3000"
    assert int(first.headers["RateLimit-Reset"]) >= int(time.time())


def test_429_after_limit_without_retry_after_by_default():
    with run_demo_api(in_process=True, rate_limit=3, rate_window=30) as api, authed(api) as s:
        statuses = [s.get(api.base_url + "dashboards", timeout=10) for _ in range(5)]
        assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429]
        assert [r.headers["RateLimit-Remaining"] for r in statuses[:3]] == ["2", "1", "0"]
        limited = statuses[3]
        assert limited.json()["errors"][0]["status"] == "429"
        assert "Retry-After" not in limited.headers
        reset = int(limited.headers["RateLimit-Reset"])
        assert time.time() < reset <= time.time() + 31
        assert api.stats()["rate_limited"] == 2


def test_retry_after_flag_adds_header_in_seconds():
    with (
        run_demo_api(in_process=True, rate_limit=1, rate_window=20, retry_after=True) as api,
        authed(api) as s,
    ):
        assert s.get(api.base_url + "dashboards", timeout=10).status_code == 200
        limited = s.get(api.base_url + "dashboards", timeout=10)
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["Retry-After"]) <= 20


def test_sliding_window_frees_up():
    with run_demo_api(in_process=True, rate_limit=2, rate_window=0.6) as api, authed(api) as s:
        codes = [s.get(api.base_url + "dashboards", timeout=10).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        time.sleep(0.7)
        assert s.get(api.base_url + "dashboards", timeout=10).status_code == 200


def test_admin_endpoints_need_no_auth(api):
    assert requests.get(api.root_url + "/_demo/health", timeout=10).json()["status"] == "ok"


def test_stats_log_when_each_request_was_answered_and_its_status():
    with run_demo_api(in_process=True, rate_limit=2, rate_window=30) as api, authed(api) as s:
        before = time.time()
        codes = [s.get(api.base_url + "dashboards", timeout=10).status_code for _ in range(3)]
        after = time.time()
        log = api.stats()["request_log"]
        assert codes == [200, 200, 429]
        assert [status for _, status in log] == codes
        times = [t for t, _ in log]
        assert before <= times[0] <= times[1] <= times[2] <= after
        assert api.reset_stats()["request_log"] == []
