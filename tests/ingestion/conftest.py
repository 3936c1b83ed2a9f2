from __future__ import annotations

import pytest

from ingestion.settings import load_settings


@pytest.fixture
def settings(tmp_path):
    """Project settings with fast retries and all state in a temporary folder."""
    return load_settings().with_overrides(
        page_size=50,
        request_backoff_factor=0.01,
        request_max_retry_delay=0.5,
        request_timeout=5.0,
        duckdb_path=str(tmp_path / "warehouse.duckdb"),
        pipelines_dir=str(tmp_path / "pipelines"),
    )
