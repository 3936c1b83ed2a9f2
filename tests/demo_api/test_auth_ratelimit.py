"""Bearer auth and the sliding-window rate limit with the real API's headers."""

from __future__ import annotations

import time

import pytest
import requests

from ingestion.demo_api import run_demo_api
from tests.demo_api.helpers import authed, responses_past_the_limit

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


def _limited(dialect: str, body: str = "jsonapi") -> tuple[requests.Response, requests.Response]:
    """(an allowed response, a 429) from a server with a limit of 2 per 30 s."""
    allowed, _, limited = responses_past_the_limit(dialect, body)
    return allowed, limited


def test_ietf_delta_dialect_reports_reset_as_seconds_from_now():
    allowed, limited = _limited("ietf-delta")
    assert allowed.headers["RateLimit-Limit"] == "2"
    assert allowed.headers["RateLimit-Remaining"] == "1"
    assert 29 <= int(allowed.headers["RateLimit-Reset"]) <= 30
    assert limited.status_code == 429
    assert 1 <= int(limited.headers["RateLimit-Reset"]) <= 30
    assert not any(name.lower().startswith("x-ratelimit") for name in limited.headers)


def test_x_dialect_sends_the_current_specs_headers():
    allowed, limited = _limited("x")
    assert allowed.headers["X-RateLimit-Limit"] == "2, 2;window=30"
    assert allowed.headers["X-RateLimit-Remaining"] == "1"
    assert allowed.headers["X-RateLimit-Used"] == "1"
    assert time.time() < int(allowed.headers["X-RateLimit-Reset"]) <= time.time() + 31
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert limited.headers["X-RateLimit-Used"] == "2"
    assert not any(name in allowed.headers for name in RATE_HEADERS)


def test_none_dialect_sends_no_rate_limit_headers():
    allowed, limited = _limited("none")
    assert limited.status_code == 429
    for response in (allowed, limited):
        assert not any("ratelimit" in name.lower() for name in response.headers)


def test_plain_429_body_is_the_specs_error_object():
    _, limited = _limited("ietf", "plain")
    assert limited.status_code == 429
    assert limited.headers["Content-Type"] == "application/json"
    assert limited.json() == {"error": "Rate limit exceeded. Try again later."}


def test_empty_429_body_has_zero_length():
    _, limited = _limited("ietf", "empty")
    assert limited.status_code == 429
    assert limited.content == b""
    assert limited.headers["Content-Length"] == "0"


def test_rate_limit_dialects_change_at_runtime_and_are_reported(api, session):
    controls = api.set_faults(rate_limit_headers="x", rate_limit_body="plain")
    assert controls["rate_limit_headers"] == "x" and controls["rate_limit_body"] == "plain"
    response = session.get(api.base_url + "incidents", timeout=10)
    assert response.headers["X-RateLimit-Limit"] == "3000, 3000;window=60"
    api.set_faults(always_429=True)  # dialects are kept when not named
    limited = session.get(api.base_url + "incidents", timeout=10)
    assert limited.json() == {"error": "Rate limit exceeded. Try again later."}
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    got = requests.get(api.root_url + "/_demo/faults", timeout=10).json()
    assert got["rate_limit_headers"] == "x" and got["rate_limit_body"] == "plain"


def test_unknown_rate_limit_dialect_is_rejected(api):
    response = requests.post(
        api.root_url + "/_demo/faults", json={"rate_limit_headers": "y"}, timeout=10
    )
    assert response.status_code == 400
    assert (
        requests.get(api.root_url + "/_demo/faults", timeout=10).json()["rate_limit_headers"]
        == "ietf"
    )


def test_cli_rate_limit_dialect_flags_reach_the_subprocess():
    with (
        run_demo_api(rate_limit=1, rate_limit_headers="none", rate_limit_body="empty") as api,
        authed(api) as s,
    ):
        s.get(api.base_url + "dashboards", timeout=10)
        limited = s.get(api.base_url + "dashboards", timeout=10)
    assert limited.status_code == 429 and limited.content == b""
    assert "RateLimit-Limit" not in limited.headers
