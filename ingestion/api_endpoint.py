"""Which API a run reads, and how patiently: the configured API or the bundled demo API.

With no `base_url` set, a run starts the demo API on loopback for its own duration, so
`just elt` works out of the box; with one, it needs a token. The retry policy for every
request comes from the settings here too, so the run only says "talk to this API".
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from ingestion.errors import ConfigurationError
from ingestion.http import RetryPolicy
from ingestion.settings import Settings, read_api_key


@contextlib.contextmanager
def api_endpoint(settings: Settings) -> Iterator[tuple[str, str]]:
    """Yield (base_url, token): the configured API, or the bundled demo API on loopback."""
    if settings.uses_demo_api:
        # imported only when used: a run against the real API never loads the demo server
        from ingestion.demo_api import run_demo_api

        with run_demo_api(
            seed=settings.demo_seed,
            incidents=settings.demo_incidents,
            dashboards=settings.demo_dashboards,
            rate_limit=settings.demo_rate_limit,
            state_dir=settings.demo_state_dir,
        ) as api:
            yield api.base_url, api.token
        return
    token = read_api_key()
    if not token:
        raise ConfigurationError(
            "no API token: set api_key in .dlt/secrets.toml or env API_KEY"
            " (or unset base_url to use the demo API)"
        )
    yield settings.base_url, token


def retry_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        max_attempts=settings.request_max_attempts,
        backoff_factor=settings.request_backoff_factor,
        max_delay=settings.request_max_retry_delay,
        timeout=settings.request_timeout,
    )
