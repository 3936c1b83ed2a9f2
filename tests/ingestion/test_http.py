"""The HTTP session: the required retry policy (2 retries, backoff factor 5), rate-limit
waits, throttling, the token guard, and the one-line messages it fails with."""

from __future__ import annotations

import random
import re
import statistics

import orjson
import pytest
import requests
from requests.adapters import BaseAdapter

from ingestion.demo_api.ratelimit import SlidingWindowLimiter
from ingestion.http import (
    MESSAGE_MAX_CHARS,
    ApiAuthError,
    ApiError,
    ApiSession,
    ForeignHostError,
    RetryPolicy,
    api_reason,
    refusal_message,
    retry_after_seconds,
)
from tests.ingestion.jsonapi_server import (
    JSONAPI_429_BODY,
    VENDOR_429_BODY,
    Scripted,
    jsonapi_server,
)
from tests.ingestion.records_factory import dashboard

NOW = 1_800_000_000.0


class FakeClock:
    """Records every wait instead of sleeping, so retry tests take no time."""

    def __init__(self) -> None:
        self.now = NOW
        self.sleeps: list[float] = []
        self.woke: list[float] = []  # the time each sleep ended

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 3))
        self.now += seconds
        self.woke.append(self.now)

    def time(self) -> float:
        return self.now


def session_for(server, clock: FakeClock, **policy) -> ApiSession:
    session = ApiSession(
        server.base_url,
        RetryPolicy(**({"timeout": 5} | policy)),
        sleep=clock.sleep,
        clock=clock.time,
    )
    session.headers["Authorization"] = "Bearer fixture-token"
    return session


def get(session: ApiSession, server) -> requests.Response:
    return session.get(server.base_url + "dashboards")


@pytest.fixture
def server():
    with jsonapi_server({"dashboards": [dashboard(1)]}) as server:
        yield server


def test_429_is_retried_with_the_required_backoff_factor(server):
    clock = FakeClock()
    server.state.script = [Scripted(429), Scripted(429)]
    response = get(session_for(server, clock), server)
    assert response.status_code == 200
    assert clock.sleeps == [5.0, 10.0]  # factor 5 * 2**(attempt-1)


def test_429_gives_up_after_two_retries_with_a_clear_message(server):
    clock = FakeClock()
    server.state.script = [Scripted(429)] * 3
    with pytest.raises(ApiError, match=r"kept rate-limiting .* after 3 attempts"):
        get(session_for(server, clock), server)
    assert len(server.state.requests) == 3


def test_retry_after_header_sets_the_wait(server):
    clock = FakeClock()
    server.state.script = [Scripted(429, {"Retry-After": "7"})]
    get(session_for(server, clock), server)
    assert clock.sleeps == [7.0]


def test_ratelimit_reset_epoch_sets_the_wait_when_there_is_no_retry_after(server):
    clock = FakeClock()
    server.state.script = [Scripted(429, {"RateLimit-Reset": str(int(NOW) + 12)})]
    get(session_for(server, clock), server)
    assert clock.sleeps == [12.0]


def test_no_wait_is_longer_than_the_configured_cap(server):
    clock = FakeClock()
    server.state.script = [Scripted(429, {"Retry-After": "3600"})]
    get(session_for(server, clock, max_delay=30.0), server)
    assert clock.sleeps == [30.0]


def test_5xx_is_retried_then_fails_clearly(server):
    clock = FakeClock()
    server.state.script = [Scripted(503)] * 3
    with pytest.raises(ApiError, match=r"HTTP 503 .* after 3 attempts"):
        get(session_for(server, clock, backoff_factor=1.0), server)
    assert clock.sleeps == [1.0, 2.0]
    assert len(server.state.requests) == 3  # two retries, counted where they arrived


def test_401_fails_at_once_without_retrying(server):
    clock = FakeClock()
    server.state.script = [Scripted(401)]
    with pytest.raises(ApiAuthError, match="set api_key"):
        get(session_for(server, clock), server)
    assert clock.sleeps == []


def test_connection_refused_is_retried_then_named(server):
    clock = FakeClock()
    session = session_for(server, clock, backoff_factor=0.0)
    session.allowed_origin = ("http", "127.0.0.1:9")
    with pytest.raises(ApiError, match="could not connect"):
        session.get("http://127.0.0.1:9/v1/dashboards")
    assert session.stats.requests["/v1/dashboards"] == 3  # the required 2 retries
    assert session.stats.retries == 2


def test_the_token_is_never_sent_to_another_host(server):
    session = session_for(server, FakeClock())
    with pytest.raises(ForeignHostError, match="refusing to send the API token"):
        session.get("http://127.0.0.2:1/v1/dashboards?page[number]=2")
    assert server.state.requests == []


def budget(remaining: int, reset_in: int) -> Scripted:
    headers = {
        "RateLimit-Limit": "100",
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(int(NOW) + reset_in),
    }
    return Scripted(200, headers, b'{"data": []}')


def test_throttle_waits_for_the_window_when_the_budget_is_nearly_spent(server):
    clock = FakeClock()
    server.state.script = [budget(remaining=1, reset_in=3)]
    session = session_for(server, clock)
    get(session, server)
    get(session, server)
    assert clock.sleeps == [3.0]  # until a slot frees, instead of a 429


def test_throttle_does_not_slow_a_comfortable_budget(server):
    clock = FakeClock()
    server.state.script = [budget(remaining=40, reset_in=30)]
    session = session_for(server, clock)
    get(session, server)
    get(session, server)
    assert clock.sleeps == []


def test_retry_after_accepts_an_http_date():
    response = requests.Response()
    response.headers["Retry-After"] = "Fri, 15 Jan 2027 08:00:30 GMT"
    now = 1_800_000_000.0  # 2027-01-15T08:00:00Z
    assert retry_after_seconds(response, now) == 30.0


def test_a_5xx_backs_off_even_when_ratelimit_reset_is_sent(server):
    clock = FakeClock()
    server.state.script = [Scripted(503, {"RateLimit-Reset": str(int(NOW) + 50)})]
    get(session_for(server, clock, backoff_factor=1.0), server)
    assert clock.sleeps == [1.0]  # the reset time is about the rate limit, not the outage


def test_a_page_without_a_data_array_fails_instead_of_ending_paging(server):
    server.state.script = [Scripted(200, {}, b'{"meta": {"total_pages": 3}}')]
    with pytest.raises(ApiError, match="without a JSON:API `data` array"):
        get(session_for(server, FakeClock()), server)


def test_a_truncated_body_fails_with_a_clear_message(server):
    server.state.script = [Scripted(200, {}, b'{"data": [{"id": "1", "attri')]
    with pytest.raises(ApiError, match="not valid JSON"):
        get(session_for(server, FakeClock()), server)


# -- pacing against the demo API's own sliding-window limiter, on the fake clock -------------

LIMIT, WINDOW = 50, 10.0
LIMITED_URL = "http://limited.test/v1/dashboards"


class LimiterTransport(BaseAdapter):
    """The demo API's `SlidingWindowLimiter` and headers behind a fake transport.

    Each request takes `latency` seconds (plus up to `jitter`, seeded) on the fake clock, half
    of it before the limiter counts it. `offset` is how far the server's clock runs ahead of
    ours; `other_client_every` lets a second client spend the same token's budget.
    """

    def __init__(
        self,
        clock: FakeClock,
        latency: float = 0.018,
        jitter: float = 0.0,
        offset: float = 0.0,
        drop_headers: tuple[str, ...] = (),
        other_client_every: int = 0,
        dialect: str = "ratelimit",
    ) -> None:
        super().__init__()
        self.clock = clock
        self.limiter = SlidingWindowLimiter(LIMIT, WINDOW, clock=lambda: clock.now + offset)
        self.latency, self.jitter = latency, jitter
        self.random = random.Random(7)
        self.drop_headers = drop_headers
        self.other_client_every = other_client_every
        self.dialect = dialect
        self.arrivals: list[float] = []  # when each admitted request was counted
        self.rejected = 0

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        if self.other_client_every and (len(self.arrivals) + 1) % self.other_client_every == 0:
            self.limiter.hit("token")
        latency = self.latency + self.random.uniform(0, self.jitter)
        self.clock.now += latency / 2
        decision = self.limiter.hit("token")
        if decision.allowed:
            self.arrivals.append(self.clock.now)
        else:
            self.rejected += 1
        self.clock.now += latency / 2
        response = requests.Response()
        response.status_code = 200 if decision.allowed else 429
        response._content = b'{"data": []}'
        response.url, response.request = request.url, request
        headers = decision.headers(with_retry_after=False)
        if self.dialect == "x-ratelimit":
            headers = as_x_ratelimit(headers)
        response.headers.update({k: v for k, v in headers.items() if k not in self.drop_headers})
        return response

    def close(self) -> None:
        pass


def run_limited(requests_: int, **transport) -> tuple[LimiterTransport, FakeClock]:
    """`requests_` GETs through an `ApiSession` against the limiter; the transport and clock."""
    clock = FakeClock()
    server = LimiterTransport(clock, **transport)
    session = ApiSession(
        "http://limited.test/v1/", RetryPolicy(timeout=5), sleep=clock.sleep, clock=clock.time
    )
    session.mount("http://limited.test/", server)
    for _ in range(requests_):
        session.get(LIMITED_URL)
    return server, clock


def slot_gaps(arrivals: list[float]) -> list[float]:
    """Time from each admitted request to the one LIMIT later: WINDOW at the allowed rate."""
    return [later - earlier for earlier, later in zip(arrivals, arrivals[LIMIT:], strict=False)]


def on_whole_seconds(times: list[float]) -> bool:
    return all(abs(t - round(t)) < 1e-6 for t in times)


def test_throttle_paces_within_a_small_margin_of_the_true_window():
    server, _ = run_limited(10 * LIMIT + 1)
    gaps = slot_gaps(server.arrivals)
    # the first window waits for the whole-second reset; from the third on, only the margin
    assert max(gaps[2 * LIMIT :]) < WINDOW + 0.1
    assert statistics.fmean(gaps) < WINDOW * 1.025  # waiting for each reset: ~1.12x


def test_throttle_never_sends_more_than_the_limit_per_window():
    server, _ = run_limited(20 * LIMIT + 1, jitter=0.03)
    assert server.rejected == 0
    assert len(server.arrivals) == 20 * LIMIT + 1


def test_a_server_clock_ahead_of_ours_costs_only_the_first_windows():
    server, _ = run_limited(16 * LIMIT + 1, offset=3.7)
    gaps = slot_gaps(server.arrivals)
    assert gaps[0] > WINDOW + 3.7  # the reset, read against our clock, is late
    assert max(gaps[-5 * LIMIT :]) < WINDOW + 0.1  # the mirror's own bounds are not
    assert server.rejected == 0


def test_without_a_ratelimit_limit_header_the_throttle_waits_for_ratelimit_reset():
    server, clock = run_limited(4 * LIMIT + 1, drop_headers=("RateLimit-Limit",))
    assert len(clock.woke) == 4
    assert on_whole_seconds(clock.woke)  # RateLimit-Reset is whole epoch seconds
    assert server.rejected == 0


def test_without_rate_limit_headers_the_throttle_does_not_wait(server):
    clock = FakeClock()
    server.state.script = [Scripted(200, {}, b'{"data": []}')] * 3
    session = session_for(server, clock)
    for _ in range(4):
        get(session, server)
    assert clock.sleeps == []


def test_bounds_that_disagree_fall_back_to_waiting_for_ratelimit_reset():
    # another client on the token: our sends no longer explain the server's window
    server, clock = run_limited(10 * LIMIT + 1, other_client_every=7)
    assert len(server.arrivals) == 10 * LIMIT + 1
    assert clock.woke
    assert on_whole_seconds(clock.woke)


# -- the vendor's current dialect: X-RateLimit-* ----------------------------------------------


def as_x_ratelimit(headers: dict[str, str]) -> dict[str, str]:
    """The demo limiter's `RateLimit-*` headers as the vendor's spec spells them."""
    limit, remaining = int(headers["RateLimit-Limit"]), int(headers["RateLimit-Remaining"])
    return {
        "X-RateLimit-Limit": f"{limit}, {limit};window={WINDOW:g}",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Used": str(limit - remaining),
        "X-RateLimit-Reset": headers["RateLimit-Reset"],
    }


RESET_HEADERS = {
    "ratelimit-epoch": {"RateLimit-Reset": str(int(NOW) + 12)},
    "ratelimit-delta": {"RateLimit-Reset": "12"},
    "x-ratelimit-epoch": {
        "X-RateLimit-Limit": "1000, 1000;window=3600",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Used": "1000",
        "X-RateLimit-Reset": str(int(NOW) + 12),
    },
    "x-ratelimit-delta": {"X-RateLimit-Reset": "12"},
    "structured": {"RateLimit": "limit=100, remaining=0, reset=12"},
}


@pytest.mark.parametrize("family", RESET_HEADERS)
def test_429_waits_for_the_reset_of_any_header_family(server, family):
    clock = FakeClock()
    server.state.script = [Scripted(429, RESET_HEADERS[family], VENDOR_429_BODY)]
    response = get(session_for(server, clock, throttle=False), server)
    assert response.status_code == 200
    assert clock.sleeps == [12.0]


def test_retry_after_outranks_x_ratelimit_reset(server):
    clock = FakeClock()
    headers = RESET_HEADERS["x-ratelimit-epoch"] | {"Retry-After": "3"}
    server.state.script = [Scripted(429, headers, VENDOR_429_BODY)]
    get(session_for(server, clock, throttle=False), server)
    assert clock.sleeps == [3.0]


def test_x_ratelimit_reset_wait_is_capped_by_max_delay(server):
    clock = FakeClock()
    headers = {"X-RateLimit-Reset": str(int(NOW) + 3600)}
    server.state.script = [Scripted(429, headers, VENDOR_429_BODY)]
    get(session_for(server, clock, max_delay=20.0), server)
    assert clock.sleeps == [20.0]


def test_a_5xx_backs_off_even_when_x_ratelimit_reset_is_sent(server):
    clock = FakeClock()
    server.state.script = [Scripted(503, {"X-RateLimit-Reset": str(int(NOW) + 50)})]
    get(session_for(server, clock, backoff_factor=1.0), server)
    assert clock.sleeps == [1.0]


def test_the_vendors_429s_are_survived_by_waiting_for_x_ratelimit_reset(server):
    # two 429s in a row would exhaust 3 attempts at 5 s + 10 s if the reset went unread
    clock = FakeClock()
    rejected = Scripted(429, {"X-RateLimit-Reset": str(int(NOW) + 40)}, VENDOR_429_BODY)
    server.state.script = [rejected, rejected]
    session = session_for(server, clock, throttle=False)
    assert get(session, server).status_code == 200
    assert session.stats.retries == 2
    assert clock.sleeps == [40.0]  # the second 429 came after the reset: retried at once


def x_budget(remaining: int, reset_in: int) -> Scripted:
    headers = {
        "X-RateLimit-Limit": "100, 100;window=60",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Used": str(100 - remaining),
        "X-RateLimit-Reset": str(int(NOW) + reset_in),
    }
    return Scripted(200, headers, b'{"data": []}')


def test_throttle_waits_for_x_ratelimit_reset_when_the_budget_is_nearly_spent(server):
    clock = FakeClock()
    server.state.script = [x_budget(remaining=1, reset_in=3)]
    session = session_for(server, clock)
    get(session, server)
    get(session, server)
    assert clock.sleeps == [3.0]


def test_throttle_does_not_slow_a_comfortable_x_ratelimit_budget(server):
    clock = FakeClock()
    server.state.script = [x_budget(remaining=40, reset_in=30)]
    session = session_for(server, clock)
    get(session, server)
    get(session, server)
    assert clock.sleeps == []


def test_throttle_paces_x_ratelimit_headers_without_a_single_429():
    server, _ = run_limited(10 * LIMIT + 1, jitter=0.03, dialect="x-ratelimit")
    assert server.rejected == 0
    assert len(server.arrivals) == 10 * LIMIT + 1


def test_a_named_window_paces_within_the_margin_from_the_first_window_on():
    # `window=10` bounds W at once: no whole-second reset wait for the first windows
    server, _ = run_limited(4 * LIMIT + 1, dialect="x-ratelimit")
    assert max(slot_gaps(server.arrivals)) < WINDOW + 0.1


# -- 429 bodies of every shape ----------------------------------------------------------------

BODIES_429 = {
    "jsonapi": JSONAPI_429_BODY,
    "plain": VENDOR_429_BODY,
    "empty": b"",
    "html": b"<html><body><h1>429 Too Many Requests</h1>\n<p>slow down</p></body></html>",
}


@pytest.mark.parametrize("shape", BODIES_429)
def test_a_429_body_of_any_shape_is_retried(server, shape):
    clock = FakeClock()
    server.state.script = [Scripted(429, {}, BODIES_429[shape])]
    assert get(session_for(server, clock), server).status_code == 200
    assert len(server.state.requests) == 2


@pytest.mark.parametrize("shape", BODIES_429)
def test_giving_up_on_429s_is_one_line_whatever_the_body(server, shape):
    server.state.script = [Scripted(429, {}, BODIES_429[shape])] * 3
    with pytest.raises(ApiError) as failure:
        get(session_for(server, FakeClock()), server)
    assert str(failure.value) == (
        "the API kept rate-limiting /v1/dashboards (HTTP 429) after 3 attempts:"
        " wait a few minutes or raise runtime.request_max_attempts, then rerun"
    )


# -- non-retryable 4xx: one line, the API's reason, never the body or the token ---------------


def refused(server, status: int, body: bytes, url: str | None = None) -> str:
    """The message `ApiSession` fails with when the server answers `status` with `body`."""
    server.state.script = [Scripted(status, {}, body)]
    with pytest.raises(ApiError) as failure:
        session_for(server, FakeClock()).get(url or server.base_url + "dashboards")
    return str(failure.value)


def test_a_400_names_the_request_and_the_apis_reason_in_one_line(server):
    body = b'{"errors": [{"status": "400", "title": "Bad Request",'
    body += b' "detail": "page[size] must be at most 100"}]}'
    message = refused(server, 400, body, server.base_url + "incidents?page[size]=500")
    assert message == (
        "the API refused GET /v1/incidents on page 1 (HTTP 400: page[size] must be at most 100):"
        " check sources.analytics_api.page_size (env SOURCES__ANALYTICS_API__PAGE_SIZE) and rerun"
    )


def test_a_4xx_without_a_detail_quotes_the_jsonapi_title(server):
    body = b'{"errors": [{"status": "422", "title": "Unprocessable Entity"}]}'
    assert "(HTTP 422: Unprocessable Entity)" in refused(server, 422, body)


def test_a_4xx_quotes_a_plain_error_string(server):
    body = b'{"error": "filter[updated_at][gte] is not a valid time"}'
    assert "(HTTP 400: filter[updated_at][gte] is not a valid time)" in refused(server, 400, body)


def test_a_404_with_an_html_body_quotes_none_of_it(server):
    body = b"<!DOCTYPE html><html><title>Not Found</title><body>nginx</body></html>"
    assert refused(server, 404, body) == (
        "the API refused GET /v1/dashboards on page 1 (HTTP 404): check the path and API version"
        " in sources.analytics_api.base_url (env SOURCES__ANALYTICS_API__BASE_URL) and rerun"
    )


def test_a_4xx_with_an_empty_body_still_names_the_status(server):
    assert "(HTTP 400)" in refused(server, 400, b"")


def test_a_long_multiline_reason_is_collapsed_and_trimmed(server):
    detail = "first line\n\tsecond line\r\n" + "x" * 1000 + " TAIL-OF-THE-BODY"
    body = b'{"errors": [{"detail": ' + orjson.dumps(detail) + b"}]}"
    message = refused(server, 400, body)
    reason = message.split("(HTTP 400: ", 1)[1].rsplit("): check", 1)[0]
    assert reason.startswith("first line second line xxx")
    assert len(reason) <= 120
    assert "\n" not in message and "\r" not in message and "\t" not in message
    assert "TAIL-OF-THE-BODY" not in message
    assert len(message) <= MESSAGE_MAX_CHARS


def test_a_4xx_reason_that_echoes_the_token_is_masked(server):
    body = b'{"error": "key fixture-token may not read incidents"}'
    message = refused(server, 400, body)
    assert "fixture-token" not in message
    assert "(HTTP 400: key *** may not read incidents)" in message


def test_a_4xx_is_not_retried(server):
    clock = FakeClock()
    server.state.script = [Scripted(422, {}, b'{"error": "no"}')]
    with pytest.raises(ApiError):
        get(session_for(server, clock), server)
    assert len(server.state.requests) == 1
    assert clock.sleeps == []


def test_a_4xx_on_a_very_long_path_stays_within_the_message_limit(server):
    body = b'{"errors": [{"detail": "' + b"y" * 500 + b'"}]}'
    message = refused(server, 400, body, server.base_url + "a" * 2000 + "/dashboards")
    assert len(message) <= MESSAGE_MAX_CHARS
    assert message.startswith("the API refused GET /v1/aaa")
    assert "/dashboards on page 1 (HTTP 400: yyy" in message  # both ends of the path survive


def test_a_401_quotes_a_short_reason(server):
    body = b'{"errors": [{"status": "401", "detail": "API key expired"}]}'
    server.state.script = [Scripted(401, {}, body)]
    with pytest.raises(ApiAuthError) as failure:
        get(session_for(server, FakeClock()), server)
    assert str(failure.value) == (
        "the API rejected the token (HTTP 401 from /v1/dashboards: API key expired):"
        " set api_key (env API_KEY)"
    )


def test_a_403_leaves_out_a_long_reason(server):
    body = b'{"error": "' + b"this key lacks the incidents:read scope " * 5 + b'"}'
    server.state.script = [Scripted(403, {}, body)]
    with pytest.raises(ApiAuthError) as failure:
        get(session_for(server, FakeClock()), server)
    assert str(failure.value) == (
        "the API rejected the token (HTTP 403 from /v1/dashboards): set api_key (env API_KEY)"
    )


# -- which page, which setting: a refusal says where it happened and what to change ----------

JSONAPI_PAGE_SIZE_400 = orjson.dumps(
    {
        "errors": [
            {
                "status": "400",
                "title": "Invalid page parameter",
                "detail": "page[size] must be at most 100, got 500",
                "source": {"parameter": "page[size]"},
            }
        ]
    }
)
FILTER_400 = (
    b'{"error": "filter[updated_at][gte] must be an ISO-8601 timestamp, got \'yesterday\'"}'
)
CURSOR = "eyJzb3J0IjoidXBkYXRlZF9hdCIsImF0IjoxNzAwMDAwMDAwfQ"


def test_a_refusal_names_the_page_number(server):
    message = refused(server, 400, b"", server.base_url + "incidents?page[number]=7&page[size]=50")
    assert message.startswith("the API refused GET /v1/incidents on page 7 (HTTP 400)")


def test_a_refusal_of_a_request_without_a_page_parameter_names_page_1(server):
    assert " on page 1 (HTTP 400)" in refused(server, 400, b"", server.base_url + "incidents")


def test_a_refusal_on_a_cursor_page_names_it_without_the_cursor(server):
    url = server.base_url + f"incidents?page[after]={CURSOR}&page[size]=50"
    message = refused(server, 400, b"", url)
    assert " on a page after cursor (HTTP 400)" in message
    assert CURSOR not in message and CURSOR[:12] not in message


def test_a_refusal_never_prints_the_query_string(server):
    url = server.base_url + "incidents?page[number]=2&api_key=sk-live-HUNTER2&page[size]=500"
    message = refused(server, 400, JSONAPI_PAGE_SIZE_400, url)
    assert "api_key=sk-live-HUNTER2" in server.state.requests[0]  # it was sent ...
    assert "HUNTER2" not in message  # ... and is not repeated
    assert "?" not in message and "&" not in message and "=" not in message


def test_a_refusal_quotes_the_jsonapi_title_and_detail(server):
    message = refused(server, 400, JSONAPI_PAGE_SIZE_400)
    assert "(HTTP 400: Invalid page parameter: page[size] must be at most 100, got 500)" in message


def test_a_refusal_names_the_parameter_the_api_blames_when_its_reason_does_not(server):
    body = b'{"errors": [{"detail": "must be at most 100", "source": {"parameter": "page[size]"}}]}'
    message = refused(server, 400, body)
    assert "(HTTP 400 for page[size]: must be at most 100)" in message
    assert "sources.analytics_api.page_size" in message


def test_a_refusal_quotes_a_nested_error_message(server):
    body = b'{"error": {"message": "unknown sort field", "code": "E_SORT"}}'
    assert "(HTTP 400: unknown sort field)" in refused(server, 400, body)


def test_a_400_with_an_html_body_quotes_none_of_it(server):
    body = b"<html><head><title>Bad Request</title></head><body><pre>nginx page[size]</pre></html>"
    message = refused(server, 400, body)
    assert message == (
        "the API refused GET /v1/dashboards on page 1 (HTTP 400):"
        " check the request settings (page_size, initial_updated_at) and rerun"
    )


def test_a_refused_page_size_names_the_page_size_setting(server):
    message = refused(server, 400, JSONAPI_PAGE_SIZE_400)
    assert message.endswith(
        ": check sources.analytics_api.page_size (env SOURCES__ANALYTICS_API__PAGE_SIZE) and rerun"
    )


def test_a_refused_filter_names_initial_updated_at_and_lag_seconds(server):
    url = server.base_url + "incidents?filter[updated_at][gte]=yesterday&page[number]=1"
    message = refused(server, 400, FILTER_400, url)
    assert message.endswith(
        ": check sources.analytics_api.initial_updated_at"
        " (env SOURCES__ANALYTICS_API__INITIAL_UPDATED_AT) or lag_seconds and rerun"
    )


def test_a_refused_filter_of_a_backfill_names_the_backfill_dates(server):
    url = server.base_url + "incidents?filter[updated_at][gte]=x&filter[updated_at][lte]=y"
    message = refused(server, 422, FILTER_400, url)
    assert message.endswith(": check the dates of --backfill FROM TO and rerun")


def test_a_refused_cursor_is_blamed_on_the_api_not_a_setting(server):
    body = b'{"errors": [{"title": "Invalid page parameter", "detail": "page[after] is invalid"}]}'
    message = refused(server, 400, body, server.base_url + f"incidents?page[after]={CURSOR}")
    assert message.endswith(": rerun, and report it to the API's owner if it persists")


def test_a_404_names_base_url_even_when_its_reason_mentions_a_parameter(server):
    body = b'{"errors": [{"title": "Not Found", "detail": "no route for page[size]"}]}'
    message = refused(server, 404, body)
    assert "(HTTP 404: no route for page[size])" in message
    assert message.endswith(
        "in sources.analytics_api.base_url (env SOURCES__ANALYTICS_API__BASE_URL) and rerun"
    )


@pytest.mark.parametrize("status", [405, 406, 415])
def test_a_wrong_method_or_media_type_names_base_url(server, status):
    assert "sources.analytics_api.base_url" in refused(server, status, b'{"error": "no"}')


def test_a_422_without_a_clue_names_the_request_settings(server):
    message = refused(server, 422, b'{"errors": [{"title": "Unprocessable Entity"}]}')
    assert message.endswith(
        ": check the request settings (page_size, initial_updated_at) and rerun"
    )


def test_a_refusal_is_one_line_within_the_limit_whatever_its_parts(server):
    detail = "filter\n" + "d" * 2000
    body = orjson.dumps(
        {"errors": [{"title": "t" * 300, "detail": detail, "source": {"parameter": "p" * 500}}]}
    )
    url = (
        server.base_url
        + "x" * 3000
        + f"/incidents?page[after]={CURSOR * 40}&filter[updated_at][lte]=z"
    )
    message = refused(server, 400, body, url)
    assert len(message) <= MESSAGE_MAX_CHARS
    assert "\n" not in message
    assert message.endswith(": check the dates of --backfill FROM TO and rerun")


def test_a_parameter_echoing_the_token_is_masked(server):
    body = b'{"errors": [{"detail": "bad", "source": {"parameter": "fixture-token"}}]}'
    message = refused(server, 400, body)
    assert "fixture-token" not in message
    assert "(HTTP 400 for ***: bad)" in message


def test_the_advice_names_real_settings_by_their_env_names():
    from ingestion import http
    from ingestion.settings import SETTINGS, env_name

    advice = " ".join(
        [http.PAGE_SIZE_ADVICE, http.FILTER_ADVICE, http.BASE_URL_ADVICE, http.REQUEST_ADVICE]
    )
    keys = {key for _, key, _, _ in SETTINGS}
    named = set(re.findall(r"sources\.analytics_api\.\w+", advice))
    assert named and named <= keys
    for key in named:
        assert f"(env {env_name(key)})" in advice
    for attribute in re.findall(r"\b(page_size|initial_updated_at|lag_seconds)\b", advice):
        assert f"sources.analytics_api.{attribute}" in keys


def test_api_reason_is_one_line_of_at_most_120_characters():
    reason = api_reason(b'{"error": "bad\\nrequest ' + b"z" * 400 + b'"}')
    assert reason is not None
    assert reason.startswith("bad request zzz")
    assert len(reason) <= 120


def test_api_reason_masks_a_token_the_cut_would_otherwise_halve():
    body = b'{"error": "' + b"w" * 100 + b' token-abcdefghijklmnop rejected"}'
    reason = api_reason(body, secrets=("token-abcdefghijklmnop",))
    assert reason is not None
    assert "token-abc" not in reason
    assert reason.endswith("*** rejected")


def test_refusal_message_stays_within_the_limit_for_worst_case_parts():
    message = refusal_message("PROPFIND-LONG-METHOD", "/v1/" + "p" * 5000, 499, "r" * 5000)
    assert len(message) <= MESSAGE_MAX_CHARS
    assert "\n" not in message


def test_api_reason_reads_jsonapi_plain_and_message_bodies():
    assert api_reason(b'{"errors": [{"title": "T", "detail": "D"}]}') == "T: D"
    assert api_reason(b'{"errors": ["just a string"]}') == "just a string"
    assert api_reason(VENDOR_429_BODY) == "Rate limit exceeded. Try again later."
    assert api_reason(b'{"error": {"message": "nested"}}') == "nested"
    assert api_reason(b'{"message": "top-level"}') == "top-level"


@pytest.mark.parametrize(
    "body", [b"", b"<html>oops</html>", b"[1, 2]", b'"text"', b'{"errors": []}', b'{"error": 5}']
)
def test_api_reason_finds_nothing_in_a_body_without_one(body):
    assert api_reason(body) is None


# -- every other message stays within the limit, whatever the URL -------------------------------

LONG_PATH = "/v1/" + "segment/" * 200 + "dashboards"


@pytest.mark.parametrize(
    "answers",
    [
        [Scripted(429)] * 3,
        [Scripted(503)] * 3,
        [Scripted(200, {}, b"<html>")],
        [Scripted(200, {}, b'{"meta": {}}')],
    ],
    ids=["429-give-up", "5xx-give-up", "not-json", "no-data"],
)
def test_failures_on_a_very_long_path_stay_within_the_message_limit(server, answers):
    server.state.script = list(answers)
    url = server.base_url.removesuffix("/v1/") + LONG_PATH
    with pytest.raises(ApiError) as failure:
        session_for(server, FakeClock(), backoff_factor=0.0).get(url)
    message = str(failure.value)
    assert len(message) <= MESSAGE_MAX_CHARS
    assert "\n" not in message
    assert "/v1/segment/" in message and "/dashboards" in message


def test_the_foreign_host_message_stays_within_the_limit_for_a_very_long_host(server):
    session = session_for(server, FakeClock())
    host = "evil-" + "x" * 240 + ".example"
    with pytest.raises(ForeignHostError) as failure:
        session.get(f"https://{host}/v1/dashboards?page[number]=2")
    assert len(str(failure.value)) <= MESSAGE_MAX_CHARS
    assert str(failure.value).startswith("refusing to send the API token to https://evil-xxx")


def test_the_connection_message_hides_url_credentials_and_stays_within_the_limit():
    base = f"http://{'u' * 300}:hunter2@127.0.0.1:9/v1/"
    policy = RetryPolicy(max_attempts=1, timeout=1)
    with pytest.raises(ApiError) as failure:
        ApiSession(base, policy).get(base + "dashboards")
    message = str(failure.value)
    assert message == (
        "the API at http://127.0.0.1:9 could not connect after all retries:"
        " check base_url and the network, then rerun"
    )
