"""How long the HTTP session waits between retries, against the real demo API.

Component level (the ApiSession the pipeline uses, with a recording sleep) because the
pipeline-level symptom is only "a 5xx storm takes minutes to fail": the reference API sends
`RateLimit-Reset` on EVERY response, and it means "when the rate-limit window frees a slot",
not "come back then" (fixed in 0983e0b: only a 429 reads it).
"""

from __future__ import annotations

import time

import pytest

from ingestion.demo_api import run_demo_api
from ingestion.http import ApiError, ApiSession, RetryPolicy


class FakeClock:
    """Records each wait and moves time on by it, instead of sleeping."""

    def __init__(self) -> None:
        self.now = time.time()
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    def time(self) -> float:
        return self.now


def failing_session(faults: dict) -> tuple[list[float], ApiError]:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=3, backoff_factor=0.01, max_delay=60.0, timeout=5.0)
    with run_demo_api(seed=1, incidents=5, dashboards=1, faults=faults, in_process=True) as api:
        session = ApiSession(api.base_url, policy, sleep=clock.sleep, clock=clock.time)
        with pytest.raises(ApiError) as failure:
            session.get(f"{api.base_url}incidents", headers=api.headers)
    return clock.waits, failure.value


def test_429_waits_for_the_servers_reset_hint():
    waits, error = failing_session({"always_429": True})
    assert "HTTP 429" in str(error)
    assert len(waits) == 2
    assert waits[0] > 1  # until the window's reset (later ones: the fake clock ran ahead)


def test_5xx_retries_wait_the_backoff_not_the_rate_limit_window():
    waits, error = failing_session({"error_rate": 1.0})
    assert "after 3 attempts" in str(error)
    assert waits == [0.01, 0.02]


def test_connection_errors_wait_the_backoff():
    waits: list[float] = []
    policy = RetryPolicy(max_attempts=3, backoff_factor=0.01, timeout=1.0)
    session = ApiSession("http://127.0.0.1:9/v1/", policy, sleep=waits.append)
    with pytest.raises(ApiError, match="could not connect"):
        session.get("http://127.0.0.1:9/v1/incidents")
    assert waits == [0.01, 0.02]
