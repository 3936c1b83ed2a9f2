"""Rate-limit headers in every dialect: the pure parser, then pacing against a real server.

The vendor documents `RateLimit-*` on its docs site and `X-RateLimit-*` in its current spec;
a client that reads only one runs into 429s against the other and gives up after 3 attempts.
"""

from __future__ import annotations

import pytest
from requests.structures import CaseInsensitiveDict

from ingestion.http import ApiSession, RetryPolicy
from ingestion.rate_limits import RateLimitInfo, parse_quota, parse_rate_limit
from tests.ingestion.jsonapi_server import DialectLimit, jsonapi_server
from tests.ingestion.records_factory import dashboard

NOW = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def parse(headers: dict[str, str]) -> RateLimitInfo:
    return parse_rate_limit(CaseInsensitiveDict(headers), NOW)


# -- the parser, one dialect at a time ---------------------------------------------------------


def test_ratelimit_headers_with_an_epoch_reset():
    info = parse(
        {"RateLimit-Limit": "3000", "RateLimit-Remaining": "2999", "RateLimit-Reset": "1800000012"}
    )
    assert info == RateLimitInfo(
        limit=3000, remaining=2999, reset=12.0, reset_epoch=1_800_000_012.0
    )


def test_ratelimit_headers_with_a_delta_reset():
    info = parse({"RateLimit-Limit": "100", "RateLimit-Remaining": "50", "RateLimit-Reset": "30"})
    assert info == RateLimitInfo(limit=100, remaining=50, reset=30.0)


def test_x_ratelimit_headers_of_the_vendors_spec():
    info = parse(
        {
            "X-RateLimit-Limit": "1000, 1000;window=3600",
            "X-RateLimit-Remaining": "998",
            "X-RateLimit-Used": "2",
            "X-RateLimit-Reset": "1800000040",
        }
    )
    assert info == RateLimitInfo(
        limit=1000, remaining=998, reset=40.0, window=3600.0, reset_epoch=1_800_000_040.0
    )


def test_x_ratelimit_limit_as_a_plain_integer():
    assert parse({"X-RateLimit-Limit": "60", "X-RateLimit-Remaining": "7"}) == RateLimitInfo(
        limit=60, remaining=7
    )


def test_x_ratelimit_limit_with_a_short_window_parameter():
    assert parse_quota("1000;w=3600") == (1000, 3600.0)


def test_x_ratelimit_limit_quoted_as_in_the_vendors_docs():
    assert parse_quota('"1000, 1000;window=3600"') == (1000, 3600.0)


def test_x_ratelimit_used_gives_the_remaining_budget_when_remaining_is_absent():
    info = parse({"X-RateLimit-Limit": "1000, 1000;window=3600", "X-RateLimit-Used": "998"})
    assert (info.limit, info.remaining) == (1000, 2)


def test_x_ratelimit_used_beyond_the_limit_leaves_nothing_rather_than_a_negative_budget():
    assert parse({"X-RateLimit-Limit": "5", "X-RateLimit-Used": "9"}).remaining == 0


def test_x_ratelimit_reset_in_delta_seconds_when_small():
    info = parse({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "17"})
    assert (info.reset, info.reset_epoch) == (17.0, None)


def test_structured_ratelimit_field_with_its_policy():
    info = parse({"RateLimit": "limit=100, remaining=50, reset=30", "RateLimit-Policy": "100;w=60"})
    assert info == RateLimitInfo(limit=100, remaining=50, reset=30.0, window=60.0)


def test_structured_ratelimit_field_of_the_later_draft_takes_the_limit_from_the_policy():
    info = parse({"RateLimit": '"default";r=50;t=30', "RateLimit-Policy": '"default";q=100;w=60'})
    assert info == RateLimitInfo(limit=100, remaining=50, reset=30.0, window=60.0)


def test_retry_after_in_seconds():
    assert parse({"Retry-After": "7"}).retry_after == 7.0


def test_retry_after_as_an_http_date():
    assert parse({"Retry-After": "Fri, 15 Jan 2027 08:00:30 GMT"}).retry_after == 30.0


def test_an_epoch_reset_already_past_means_now():
    assert parse({"X-RateLimit-Reset": str(int(NOW) - 5)}).reset == 0.0


def test_header_names_are_read_case_insensitively_from_any_mapping():
    info = parse_rate_limit({"x-ratelimit-limit": "10", "X-RATELIMIT-REMAINING": "3"}, NOW)
    assert (info.limit, info.remaining) == (10, 3)


def test_one_family_is_read_whole_when_a_server_sends_two():
    info = parse(
        {
            "RateLimit-Limit": "100",
            "RateLimit-Remaining": "40",
            "X-RateLimit-Limit": "5000",
            "X-RateLimit-Remaining": "4999",
            "X-RateLimit-Reset": "1800000060",
        }
    )
    assert info == RateLimitInfo(limit=100, remaining=40)


def test_no_headers_say_nothing():
    assert parse({}) == RateLimitInfo()


GARBAGE = ["", "abc", "-5", "nan", "inf", "1e999", ";;", ",,,", "w=", '"', "0x10", "5 apples"]


@pytest.mark.parametrize("value", GARBAGE)
def test_garbage_values_are_ignored(value):
    names = [
        "Retry-After",
        "RateLimit",
        "RateLimit-Policy",
        "RateLimit-Limit",
        "RateLimit-Remaining",
        "RateLimit-Reset",
        "X-RateLimit-Limit",
        "X-RateLimit-Remaining",
        "X-RateLimit-Used",
        "X-RateLimit-Reset",
    ]
    assert parse(dict.fromkeys(names, value)) == RateLimitInfo()


def test_a_zero_limit_is_ignored_rather_than_paced_against():
    info = parse({"X-RateLimit-Limit": "0;window=60", "X-RateLimit-Remaining": "0"})
    assert (info.limit, info.remaining) == (None, 0)


def test_a_garbage_field_leaves_the_good_ones_of_its_family():
    info = parse({"X-RateLimit-Limit": "ten", "X-RateLimit-Remaining": "3"})
    assert (info.limit, info.remaining) == (None, 3)


# -- a real loopback server enforcing a sliding window, in each dialect ------------------------

LIMIT, WINDOW_S, REQUESTS = 5, 1.0, 30


def run_against(dialect: str, policy: RetryPolicy) -> tuple[object, ApiSession]:
    """`REQUESTS` GETs through an `ApiSession` (real clock) against a limited server."""
    with jsonapi_server({"dashboards": [dashboard(1)]}) as server:
        server.state.rate_limit = DialectLimit(LIMIT, WINDOW_S, dialect)
        session = ApiSession(server.base_url, policy)
        session.headers["Authorization"] = "Bearer fixture-token"
        statuses = [
            session.get(server.base_url + "dashboards").status_code for _ in range(REQUESTS)
        ]
    assert statuses == [200] * REQUESTS
    return server.state, session


@pytest.mark.parametrize("dialect", ["ratelimit-epoch", "ratelimit-delta", "x-ratelimit"])
def test_pacing_from_any_header_dialect_avoids_every_429(dialect):
    state, session = run_against(dialect, RetryPolicy(timeout=5))
    assert state.served == REQUESTS
    assert state.rejected == 0
    assert session.stats.retries == 0


def test_pacing_from_the_structured_ratelimit_field_avoids_every_429():
    state, _ = run_against("structured", RetryPolicy(timeout=5))
    assert (state.served, state.rejected) == (REQUESTS, 0)


def test_without_headers_the_run_completes_through_429_retries():
    fast = RetryPolicy(max_attempts=8, backoff_factor=0.1, max_delay=2.0, timeout=5)
    state, session = run_against("none", fast)
    # nothing paces it: every full window costs 429s, each answered by one retry
    assert state.rejected >= REQUESTS // LIMIT - 1
    assert session.stats.rate_limited == state.rejected
    assert session.stats.retries == state.rejected
    assert len(state.requests) == REQUESTS + state.rejected
