"""Every resource loads through a rate limit in either header dialect the vendor uses.

The demo API limits all of a token's requests together; the run starts with the window
already spent, so its first requests meet 429s that the client must wait out and retry
(pacing from the headers avoids the rest). In-process, into a temporary DuckDB file.
"""

from __future__ import annotations

import pytest
import requests

from ingestion.api_endpoint import retry_policy
from ingestion.demo_api import run_demo_api
from ingestion.http import ApiSession
from ingestion.load import load, make_pipeline
from ingestion.source import analytics_api_source
from ingestion.summary import StepTimer
from tests.ingestion.test_more_resources import SIZE, assert_new_tables_equal_ground_truth
from tests.ingestion.test_sync import assert_raw_equals_ground_truth

# a window long enough that the run's first request surely falls in the spent one
LIMIT, WINDOW_S = 10, 3.0


@pytest.fixture
def settings(settings):
    # a wait longer than the window, so a retry can outlast the spent one
    return settings.with_overrides(page_size=50, request_max_retry_delay=WINDOW_S + 1)


def spend_the_window(api) -> None:
    """`LIMIT` requests with the run's own token: the limiter is full when the run starts."""
    with requests.Session() as session:
        session.headers.update(api.headers)
        for _ in range(LIMIT):
            assert session.get(f"{api.base_url}severities").status_code == 200


@pytest.mark.parametrize(
    ("dialect", "body"), [("ietf", "jsonapi"), ("x", "plain")], ids=["RateLimit", "X-RateLimit"]
)
def test_every_resource_loads_through_429s_in_either_header_dialect(settings, dialect, body):
    with run_demo_api(
        **SIZE,
        rate_limit=LIMIT,
        rate_window=WINDOW_S,
        rate_limit_headers=dialect,
        rate_limit_body=body,
    ) as api:
        session = ApiSession(api.base_url, retry_policy(settings))
        source = analytics_api_source(settings, api.base_url, api.token, session)
        pipeline = make_pipeline(settings)
        spend_the_window(api)  # right before the run's first request
        api.reset_stats()
        result = load(pipeline, source, StepTimer(), full_refresh=False)
        served = api.stats()
        assert_raw_equals_ground_truth(settings, api)
        assert_new_tables_equal_ground_truth(settings, api.ground_truth())
    assert served["rate_limited"] >= 1
    assert session.stats.rate_limited == served["rate_limited"]
    assert session.stats.retries >= served["rate_limited"]
    assert sum(session.stats.rate_limited_by_path.values()) == served["rate_limited"]
    assert sum(session.stats.retries_by_path.values()) == session.stats.retries
    # every resource was read, more requests than one window allows
    paths = {path.rsplit("/", 1)[-1] for path in session.stats.requests}
    assert {"incidents", "dashboards", "alerts", "action_items", "post_mortems", "teams"} <= paths
    assert served["requests_total"] - served["rate_limited"] > 2 * LIMIT
    assert all(n > 0 for table, n in result.rows.items() if "__" not in table)
