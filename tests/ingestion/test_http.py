"""The HTTP session: the seed's retry policy, rate-limit waits, throttling, the token guard."""

from __future__ import annotations

import random
import statistics

import pytest
import requests
from requests.adapters import BaseAdapter

from ingestion.demo_api.ratelimit import SlidingWindowLimiter
from ingestion.http import (
    ApiAuthError,
    ApiError,
    ApiSession,
    ForeignHostError,
    RetryPolicy,
    retry_after_seconds,
)
from tests.ingestion.jsonapi_server import Scripted, jsonapi_server
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


def test_429_is_retried_with_the_seeds_backoff_factor(server):
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
    ) -> None:
        super().__init__()
        self.clock = clock
        self.limiter = SlidingWindowLimiter(LIMIT, WINDOW, clock=lambda: clock.now + offset)
        self.latency, self.jitter = latency, jitter
        self.random = random.Random(7)
        self.drop_headers = drop_headers
        self.other_client_every = other_client_every
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
        headers = decision.headers(with_retry_after=False).items()
        response.headers.update({k: v for k, v in headers if k not in self.drop_headers})
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
