"""Every setting of the pipeline, read in one place through dlt's configuration.

dlt resolves each value from environment variables first, then `.dlt/secrets.toml`, then
`.dlt/config.toml`, so users configure the project the way they configure any dlt pipeline.
Each field below names its dlt key; the env name is the key upper-cased with `__` for dots
(`sources.analytics_api.base_url` -> `SOURCES__ANALYTICS_API__BASE_URL`).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dlt

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_NAME = "analytics_api"
PIPELINE_NAME = "analytics_api"
RAW_DATASET = "raw"


TARGETS = ("duckdb", "postgres")


def env_name(key: str) -> str:
    """The environment variable dlt reads for a config key."""
    return key.upper().replace(".", "__")


# (attribute, dlt key, default, description) -- the README's configuration table is this list.
SETTINGS: list[tuple[str, str, Any, str]] = [
    (
        "base_url",
        "sources.analytics_api.base_url",
        None,
        "API base URL, e.g. https://api.rootly.com/v1/. Unset: `just elt` starts the demo API.",
    ),
    ("page_size", "sources.analytics_api.page_size", 50, "records per page (`page[size]`)."),
    (
        "initial_updated_at",
        "sources.analytics_api.initial_updated_at",
        "2000-01-01T00:00:00Z",
        "incremental start for the first incidents sync (ISO-8601).",
    ),
    (
        "lag_seconds",
        "sources.analytics_api.lag_seconds",
        300,
        "re-read window before the stored incidents cursor, in seconds.",
    ),
    (
        "deletion_check_hours",
        "sources.analytics_api.deletion_check_hours",
        24.0,
        "hours between full listings of the incidents that find the ones deleted upstream"
        " (0 = every run; `just elt --check-deletions` forces one).",
    ),
    (
        "request_max_attempts",
        "runtime.request_max_attempts",
        3,
        "attempts per request on 429/5xx/connection errors (3 = the seed's 2 retries).",
    ),
    (
        "request_backoff_factor",
        "runtime.request_backoff_factor",
        5.0,
        "backoff: wait factor * 2**(attempt-1) seconds when the server gives no hint.",
    ),
    (
        "request_max_retry_delay",
        "runtime.request_max_retry_delay",
        60.0,
        "cap in seconds on any single wait (Retry-After, RateLimit-Reset or backoff).",
    ),
    ("request_timeout", "runtime.request_timeout", 60.0, "connect/read timeout in seconds."),
    (
        "target",
        "elt.target",
        "duckdb",
        "warehouse: duckdb (embedded default) or postgres (DESTINATION__POSTGRES__CREDENTIALS).",
    ),
    (
        "duckdb_path",
        "destination.duckdb.credentials",
        "data/warehouse.duckdb",
        "the DuckDB warehouse file.",
    ),
    (
        "duckdb_memory_limit",
        "elt.duckdb_memory_limit",
        "384MB",
        "DuckDB's memory cap in the load and in dbt; past it DuckDB spills to disk"
        " (DuckDB's own default is 80 % of RAM).",
    ),
    (
        "pipelines_dir",
        "elt.pipelines_dir",
        "data/pipelines",
        "dlt's working folders (state, packages): one subfolder per warehouse.",
    ),
    (
        "normalize_workers",
        "elt.normalize_workers",
        1,
        "processes dlt's normalize step uses (1 = in-process; incidents arrive as Arrow,"
        " so it rarely matters).",
    ),
    (
        "progress",
        "elt.progress",
        True,
        "print rows per resource every few seconds while extract, normalize and load run.",
    ),
    (
        "lock_wait_seconds",
        "elt.lock_wait_seconds",
        0.0,
        "how long to wait for another process to release the DuckDB file before failing.",
    ),
    (
        "demo_state_dir",
        "elt.demo_api.state_dir",
        "data/demo_api",
        "where the demo API keeps its change batches.",
    ),
    ("demo_seed", "elt.demo_api.seed", 42, "demo data seed."),
    ("demo_incidents", "elt.demo_api.incidents", 500, "demo API incident count."),
    ("demo_dashboards", "elt.demo_api.dashboards", 40, "demo API dashboard count."),
    (
        "demo_rate_limit",
        "elt.demo_api.rate_limit",
        3000,
        "requests per token per minute the demo API allows (the reference API's limit).",
    ),
]


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one run. The API token is deliberately not kept here."""

    base_url: str | None
    page_size: int
    initial_updated_at: str
    lag_seconds: int
    deletion_check_hours: float
    request_max_attempts: int
    request_backoff_factor: float
    request_max_retry_delay: float
    request_timeout: float
    target: str
    duckdb_path: str
    duckdb_memory_limit: str
    pipelines_dir: str
    normalize_workers: int
    progress: bool
    lock_wait_seconds: float
    demo_state_dir: str
    demo_seed: int
    demo_incidents: int
    demo_dashboards: int
    demo_rate_limit: int

    def with_overrides(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @property
    def uses_demo_api(self) -> bool:
        return not self.base_url

    @property
    def on_duckdb(self) -> bool:
        return self.target == "duckdb"

    @property
    def pipeline_name(self) -> str:
        """One pipeline (and so one set of cursors) per warehouse."""
        return PIPELINE_NAME if self.on_duckdb else f"{PIPELINE_NAME}_{self.target}"

    @property
    def warehouse(self) -> str:
        """Where the data goes, for messages (never includes a password)."""
        if self.on_duckdb:
            return self.duckdb_path
        return f"{self.target} ({postgres_location()})"

    @property
    def warehouse_identity(self) -> str:
        """What makes a warehouse this warehouse: the DuckDB file, or the PostgreSQL database."""
        if self.on_duckdb:
            return f"duckdb:{os.path.realpath(self.duckdb_path)}"
        return f"{self.target}:{postgres_location()}"

    @property
    def working_dir(self) -> str:
        """dlt's working folder for this warehouse: its cursors and pending packages.

        dlt keys its local state by pipeline name only, so two warehouses loaded from one
        checkout would share (and corrupt) one set of cursors. One folder per warehouse
        keeps them apart; the warehouse's own copy of the state (`_dlt_pipeline_state`)
        is what the run trusts (`ingestion.pipeline.bind_state_to_warehouse`).
        """
        digest = hashlib.sha256(self.warehouse_identity.encode()).hexdigest()[:12]
        return str(Path(self.pipelines_dir) / f"{self.target}-{digest}")

    @property
    def lock_path(self) -> str:
        if self.on_duckdb:
            return f"{self.duckdb_path}.elt.lock"
        return str(Path(self.working_dir) / f"{self.pipeline_name}.elt.lock")


def _resolve(key: str, default: Any) -> Any:
    value = dlt.config.get(key)
    if value is None or value == "":
        return default
    if isinstance(default, bool) and isinstance(value, str):
        return value.strip().lower() in {"1", "true", "yes", "on"}
    if default is not None and not isinstance(default, str):
        return type(default)(value)
    return value


def _absolute(path: str) -> str:
    """Relative paths are relative to the repository root, wherever the command runs."""
    if "://" in path:  # a connection string such as duckdb:///... is left alone
        return path
    return str(Path(path) if os.path.isabs(path) else REPO_ROOT / path)


def load_settings() -> Settings:
    values = {attr: _resolve(key, default) for attr, key, default, _ in SETTINGS}
    if values["target"] not in TARGETS:
        choices = ", ".join(TARGETS)
        raise ValueError(f"elt.target must be one of {choices}, not {values['target']!r}")
    for attr in ("duckdb_path", "pipelines_dir", "demo_state_dir"):
        values[attr] = _absolute(values[attr])
    return Settings(**values)


def postgres_credentials() -> dict[str, Any]:
    """dlt's resolved PostgreSQL credentials (DESTINATION__POSTGRES__CREDENTIALS & co)."""
    from dlt.destinations.impl.postgres.configuration import PostgresCredentials

    return dict(dlt.config.get("destination.postgres.credentials", PostgresCredentials))


def postgres_location() -> str:
    try:
        creds = postgres_credentials()
    except Exception:
        return "credentials not set"
    return f"{creds.get('host')}:{creds.get('port')}/{creds.get('database')}"


def read_api_key() -> str | None:
    """The token, from `.dlt/secrets.toml` (`api_key`) or env `API_KEY`; never logged."""
    value = dlt.secrets.get("api_key")
    return str(value) if value else None
