"""Fixtures: in-process demo servers (fast) and small HTTP helpers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from ingestion.demo_api import DemoAPI, run_demo_api


@pytest.fixture
def api() -> Iterator[DemoAPI]:
    """A default-sized demo API (500 incidents, 40 dashboards) served from a thread."""
    with run_demo_api(seed=42, in_process=True) as running:
        yield running


@pytest.fixture
def session(api: DemoAPI) -> Iterator[requests.Session]:
    with requests.Session() as s:
        s.headers.update(api.headers)
        yield s
