"""Every setting of the pipeline, read in one place through dlt's configuration.

dlt resolves each value from environment variables first, then `.dlt/secrets.toml`, then
`.dlt/config.toml`, so users configure the project the way they configure any dlt pipeline.
Each field below names its dlt key; the env name is the key upper-cased with `__` for dots
(`sources.analytics_api.base_url` -> `SOURCES__ANALYTICS_API__BASE_URL`).

Every default is written once, in `SETTINGS` below; the retry policy's and the demo API's
come from the code that owns them (`RetryPolicy`, the demo API's constants). `.dlt/config.toml`
and `profiles.yml` do not repeat them (`tests/test_settings.py` fails if they do): dbt gets
the memory cap from the run, as env `ELT__DUCKDB_MEMORY_LIMIT`, and the warehouse path from
dlt's runner (`DLT__CREDENTIALS__DATABASE`).

Each setting also says what it accepts (its `kind`, from `ingestion.validation`), and
`load_settings()` checks every one before a command does anything: a bad value is reported
with the provider that supplied it (`env SOURCES__...`, `.dlt/config.toml`, a flag), all bad
ones at once (`BadSettings`, exit code 2). An empty value counts as unset.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import dlt
from dlt.common.configuration.exceptions import ConfigProviderException
from dlt.common.configuration.providers import EnvironProvider

from ingestion.demo_api.dataset import DEFAULT_DASHBOARDS, DEFAULT_INCIDENTS, DEFAULT_SEED
from ingestion.demo_api.ratelimit import DEFAULT_LIMIT as DEMO_RATE_LIMIT
from ingestion.http import RetryPolicy
from ingestion.validation import (
    BadSettings,
    BadSettingsFile,
    BadValue,
    Boolean,
    Choice,
    ConnectionUrl,
    FilePath,
    FolderPath,
    Integer,
    Kind,
    MemoryLimit,
    Number,
    Problem,
    Timestamp,
    Token,
    Url,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SOURCE_NAME = "analytics_api"
PIPELINE_NAME = "analytics_api"
RAW_DATASET = "raw"


TARGETS = ("duckdb", "postgres")


def env_name(key: str) -> str:
    """The environment variable dlt reads for a config key."""
    return key.upper().replace(".", "__")


# The required retry policy (2 retries, backoff factor 5); its defaults are written once, in
# `ingestion.http.RetryPolicy`.
_RETRY = RetryPolicy()

DAY_SECONDS = 86_400


@dataclass(frozen=True)
class Setting:
    """One setting: the attribute of `Settings` it fills, its dlt key, its default (`None`:
    unset), what it accepts (`kind`, which also parses it) and what it means. A `secret` is
    read from env and `.dlt/secrets.toml` only, is never shown, and is not kept in
    `Settings` (the code that needs it reads it, e.g. `read_api_key`)."""

    attr: str
    key: str
    default: Any
    kind: Kind
    description: str
    secret: bool = False

    @property
    def env(self) -> str:
        return env_name(self.key)

    @property
    def short_name(self) -> str:
        """The key without its usual section, for a line that names several settings."""
        for section in ("sources.analytics_api.", "runtime.", "elt.", "destination."):
            if self.key.startswith(section):
                return self.key.removeprefix(section)
        return self.key

    def __iter__(self) -> Iterator[Any]:
        """Unpacks as `(attr, key, default, description)`, the tuple SETTINGS used to hold."""
        return iter((self.attr, self.key, self.default, self.description))


# Every setting: the table in docs/configuration.md is this list (`configuration_table()`), and
# it is the only place a default is written (or, for the retry policy and the demo API, named)
# and the only place that says what a setting accepts.
SETTINGS: list[Setting] = [
    Setting(
        "base_url",
        "sources.analytics_api.base_url",
        None,
        Url(),
        "API base URL, e.g. https://api.rootly.com/v1/. Unset: `just elt` starts the demo API.",
    ),
    Setting(
        "page_size",
        "sources.analytics_api.page_size",
        50,
        Integer(1, 100),
        "records per page (`page[size]`).",
    ),
    Setting(
        "initial_updated_at",
        "sources.analytics_api.initial_updated_at",
        "2000-01-01T00:00:00Z",
        Timestamp(),
        "incremental start for the first incidents sync.",
    ),
    Setting(
        "lag_seconds",
        "sources.analytics_api.lag_seconds",
        300,
        Integer(0, 7 * DAY_SECONDS, "seconds"),
        "re-read window before the stored incidents cursor.",
    ),
    Setting(
        "deletion_check_hours",
        "sources.analytics_api.deletion_check_hours",
        24.0,
        Number(0, 365 * 24, unit="hours"),
        "hours between full listings of the incidents that find the ones deleted upstream"
        " (0 = every run; `just elt --check-deletions` forces one).",
    ),
    Setting(
        "full_scan_hours",
        "sources.analytics_api.full_scan_hours",
        0.0,
        Number(0, 365 * 24, unit="hours"),
        "hours between full scans of the catalogs, action items and retrospectives (lists"
        " the API cannot filter); 0 = every run, `just elt --full-scans` forces them.",
    ),
    Setting(
        "request_max_attempts",
        "runtime.request_max_attempts",
        _RETRY.max_attempts,
        Integer(1, 100),
        "attempts per request on 429/5xx/connection errors (3 = the required 2 retries).",
    ),
    Setting(
        "request_backoff_factor",
        "runtime.request_backoff_factor",
        _RETRY.backoff_factor,
        Number(0, 3600, unit="seconds"),
        "backoff: wait factor * 2**(attempt-1) seconds when the server gives no hint.",
    ),
    Setting(
        "request_max_retry_delay",
        "runtime.request_max_retry_delay",
        _RETRY.max_delay,
        Number(0, DAY_SECONDS, unit="seconds"),
        "cap on any single wait (Retry-After, RateLimit-Reset or backoff).",
    ),
    Setting(
        "request_timeout",
        "runtime.request_timeout",
        _RETRY.timeout,
        Number(0, DAY_SECONDS, low_open=True, unit="seconds"),
        "connect/read timeout.",
    ),
    Setting(
        "target",
        "elt.target",
        "duckdb",
        Choice(TARGETS),
        "warehouse: duckdb (embedded default) or postgres (DESTINATION__POSTGRES__CREDENTIALS).",
    ),
    Setting(
        "duckdb_path",
        "destination.duckdb.credentials",
        "data/warehouse.duckdb",
        FilePath(REPO_ROOT, connection_strings=True),
        "the DuckDB warehouse file (relative paths: to the repository root).",
    ),
    Setting(
        "duckdb_memory_limit",
        "elt.duckdb_memory_limit",
        "384MB",
        MemoryLimit(),
        "DuckDB's memory cap in the load and in dbt; past it DuckDB spills to disk"
        " (DuckDB's own default is 80 % of RAM).",
    ),
    Setting(
        "pipelines_dir",
        "elt.pipelines_dir",
        "data/pipelines",
        FolderPath(REPO_ROOT),
        "dlt's working folders (state, packages): one subfolder per warehouse.",
    ),
    Setting(
        "normalize_workers",
        "elt.normalize_workers",
        1,
        Integer(1, 128),
        "processes dlt's normalize step uses (1 = in-process; incidents arrive as Arrow,"
        " so it rarely matters).",
    ),
    Setting(
        "progress",
        "elt.progress",
        True,
        Boolean(),
        "print rows per resource every few seconds while extract, normalize and load run.",
    ),
    Setting(
        "lock_wait_seconds",
        "elt.lock_wait_seconds",
        0.0,
        Number(0, DAY_SECONDS, unit="seconds"),
        "how long to wait for another process to release the DuckDB file before failing.",
    ),
    Setting(
        "demo_state_dir",
        "elt.demo_api.state_dir",
        "data/demo_api",
        FolderPath(REPO_ROOT),
        "where the demo API keeps its change batches.",
    ),
    Setting(
        "demo_seed",
        "elt.demo_api.seed",
        DEFAULT_SEED,
        Integer(0, 2**32 - 1),
        "the demo data's random seed.",
    ),
    Setting(
        "demo_incidents",
        "elt.demo_api.incidents",
        DEFAULT_INCIDENTS,
        Integer(1, 10_000_000),
        "demo API incident count.",
    ),
    Setting(
        "demo_dashboards",
        "elt.demo_api.dashboards",
        DEFAULT_DASHBOARDS,
        Integer(1, 100_000),
        "demo API dashboard count.",
    ),
    Setting(
        "demo_rate_limit",
        "elt.demo_api.rate_limit",
        DEMO_RATE_LIMIT,
        Integer(1, 1_000_000_000),
        "requests per token per minute the demo API allows (the reference API's limit).",
    ),
    Setting(
        "api_key",
        "api_key",
        None,
        Token(),
        "the API's bearer token; not needed for the demo API, which gets a fresh random token"
        " every run.",
        secret=True,
    ),
    Setting(
        "postgres_credentials",
        "destination.postgres.credentials",
        None,
        ConnectionUrl(),
        "the PostgreSQL warehouse, used when `elt.target` is postgres.",
        secret=True,
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
    full_scan_hours: float
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
        is what the run trusts (`ingestion.recovery.bind_state_to_warehouse`).
        """
        digest = hashlib.sha256(self.warehouse_identity.encode()).hexdigest()[:12]
        return str(Path(self.pipelines_dir) / f"{self.target}-{digest}")

    @property
    def lock_path(self) -> str:
        if self.on_duckdb:
            return f"{self.duckdb_path}.elt.lock"
        return str(Path(self.working_dir) / f"{self.pipeline_name}.elt.lock")


@dataclass(frozen=True)
class Found:
    """A value and where it came from: `env NAME`, `.dlt/config.toml`, `--target`..."""

    value: Any
    source: str


def _file_source(provider: Any, key: str, sections: list[str]) -> str:
    """The file a TOML provider read the value from, as the user knows it."""
    origin = provider.get_value_location(key, None, *sections) or provider.name
    file_name = origin.removeprefix("global:")
    files = [p for p in provider.present_locations if os.path.basename(p) == file_name]
    if not files:
        return provider.name
    path = files[-1] if origin.startswith("global:") else files[0]
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else path


def lookup(setting: Setting) -> Found | None:
    """The setting's value as dlt would resolve it, and which provider supplied it; None when
    unset. An empty value counts as unset: the next provider (or the default) applies, so
    `SOURCES__ANALYTICS_API__PAGE_SIZE=` in the environment does not hide `.dlt/config.toml`.
    """
    accessor = dlt.secrets if setting.secret else dlt.config
    sections = setting.key.split(".")
    key = sections.pop()
    # dlt's providers, in its own lookup order (env, secrets.toml, config.toml), through their
    # public interface: `dlt.config.get` resolves the same way but does not say which one.
    for provider in accessor.config_providers:
        if provider.is_empty:
            continue
        value, effective_key = provider.get_value(key, accessor.default_type, None, *sections)
        if value is None or value == "":
            continue
        if isinstance(provider, EnvironProvider):
            return Found(value, f"env {effective_key}")
        return Found(value, _file_source(provider, key, sections))
    return None


def check(setting: Setting, found: Found) -> Any:
    """The parsed value, or a `Problem` naming the setting, its source and what it accepts."""
    try:
        return setting.kind.parse(found.value)
    except BadValue as exc:
        return Problem(
            setting.key,
            setting.short_name,
            found.value,
            setting.secret,
            found.source,
            setting.kind,
            exc,
        )


def resolve_all(overrides: Mapping[str, Found] | None = None) -> dict[str, Any]:
    """Every setting, parsed: `overrides` (attr -> a value from a flag) first, then dlt's
    providers, then the default. Raises `BadSettings` naming every bad one at once."""
    overrides = overrides or {}
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    problems: list[Problem] = []
    for setting in SETTINGS:
        try:
            found = overrides.get(setting.attr) or lookup(setting)
        except ConfigProviderException as exc:  # dlt reads the TOML files on first use
            file = getattr(exc, "file_name", exc.provider_name)
            raise BadSettingsFile(f".dlt/{file}", str(exc).strip().splitlines()[-1]) from None
        if found is None:
            found = None if setting.default is None else Found(setting.default, "default")
        if found is None:
            values[setting.attr] = None
            continue
        parsed = check(setting, found)
        if isinstance(parsed, Problem):
            problems.append(parsed)
        else:
            values[setting.attr] = parsed
        sources[setting.attr] = found.source
    if values.get("target") == "postgres" and values.get("postgres_credentials") is None:
        problems += _postgres_needs_credentials(sources["target"])
    if problems:
        raise BadSettings(problems)
    return values


def _postgres_needs_credentials(target_source: str) -> list[Problem]:
    """No connection string: dlt may still assemble the credentials from their parts
    (`DESTINATION__POSTGRES__CREDENTIALS__HOST`...); a Problem if it cannot."""
    try:
        postgres_credentials()
        return []
    except Exception:  # dlt says which parts are missing, at length; the line names the key
        (setting,) = (s for s in SETTINGS if s.attr == "postgres_credentials")
        return [
            Problem(
                setting.key,
                setting.short_name,
                None,
                True,
                f"needed as elt.target is postgres, from {target_source}",
                setting.kind,
                setting.kind.bad(),
                missing=True,
            )
        ]


def load_settings(overrides: Mapping[str, Found] | None = None) -> Settings:
    """The run's settings, every one checked before anything runs (`BadSettings` names all
    the bad ones). `overrides` are values given as flags, e.g. `{"target": Found("postgres",
    "--target")}`; they win over every provider."""
    values = resolve_all(overrides)
    return Settings(**{f.name: values[f.name] for f in fields(Settings)})


def configuration_table() -> str:
    """The table of docs/configuration.md, exactly (`tests/test_readme.py` compares them).
    `uv run python -m ingestion.settings` prints it."""
    rows = [
        "| dlt key | env | default | accepts | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for s in SETTINGS:
        key = f"`{s.key}` (secret)" if s.secret else f"`{s.key}`"
        default = "(unset)" if s.default is None else f"`{s.default}`"
        accepts = s.kind.accepts.replace("|", "\\|")
        rows.append(f"| {key} | `{s.env}` | {default} | {accepts} | {s.description} |")
    return "\n".join(rows)


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
    """The token, from `.dlt/secrets.toml` (`api_key`) or env `API_KEY`; never logged.
    A bad one raises `BadSettings` (which never shows it)."""
    (setting,) = (s for s in SETTINGS if s.key == "api_key")
    found = lookup(setting)
    if found is None:
        return None
    parsed = check(setting, found)
    if isinstance(parsed, Problem):
        raise BadSettings([parsed])
    return parsed


if __name__ == "__main__":
    print(configuration_table())
