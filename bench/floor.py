"""The floor: the least work that moves the API's pages into DuckDB.

One pooled `requests.Session`, a page loop, `resp.json()`, attributes flattened one level,
then ONE bulk insert per resource (a pyarrow table, `create table as select`). No dlt, no
dbt, no schema inference beyond pyarrow's. Whatever the pipeline spends above this is the
price of its features (typing, child tables, merge, state), which is what the ratio shows.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import requests

from ingestion.settings import Settings, load_settings
from ingestion.source import resources

START_VALUE = "{incremental.start_value}"
ATTRIBUTE = "attributes__"


@dataclass(frozen=True)
class Endpoint:
    """One list as the pipeline reads it: path, first-sync query, and the attributes it
    keeps as JSON text (free-form values whose type varies from record to record)."""

    path: str
    params: dict[str, str]
    json_attributes: frozenset[str] = frozenset()


def pipeline_endpoints(settings: Settings) -> dict[str, Endpoint]:
    """resource -> `Endpoint` of every list the pipeline reads, read from its source config
    (`ingestion.source.resources`), with the query it sends on a first sync (the
    incremental start is its initial value), so the server does the same work for both."""
    endpoints: dict[str, Endpoint] = {}
    for resource in resources(settings):
        endpoint = resource["endpoint"]
        initial = (endpoint.get("incremental") or {}).get("initial_value")
        params = {
            key: str(initial if value == START_VALUE else value)
            for key, value in (endpoint.get("params") or {}).items()
        }
        as_json = frozenset(
            name.removeprefix(ATTRIBUTE)
            for name, hint in (resource.get("columns") or {}).items()
            if name.startswith(ATTRIBUTE) and hint.get("data_type") == "json"
        )
        endpoints[resource["name"]] = Endpoint(endpoint["path"], params, as_json)
    return endpoints


@cache
def resource_endpoints() -> dict[str, Endpoint]:
    """`pipeline_endpoints` under the project's settings (as the benchmarked ELT runs)."""
    return pipeline_endpoints(load_settings())


@dataclass
class FloorResult:
    """What the floor did: seconds in total and split into fetching and inserting."""

    seconds: float
    fetch_seconds: float
    insert_seconds: float
    pages: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    total_count: dict[str, int] = field(default_factory=dict)


def fetch_resource(
    session: requests.Session,
    base_url: str,
    resource: str,
    page_size: int,
    params: dict[str, str] | None = None,
) -> tuple[list[dict[str, Any]], int, int]:
    """All records of one resource; returns (records, pages fetched, the API's total_count)."""
    records: list[dict[str, Any]] = []
    page, total_pages, total_count = 1, 1, 0
    while page <= total_pages:
        query = {**(params or {}), "page[number]": page, "page[size]": page_size}
        resp = session.get(f"{base_url}{resource}", params=query, timeout=60)
        resp.raise_for_status()
        payload = resp.json()
        records.extend(payload["data"])
        meta = payload.get("meta") or {}
        total_pages = int(meta.get("total_pages") or 0)
        total_count = int(meta.get("total_count") or 0)
        page += 1
    return records, page - 1, total_count


def flatten(record: dict[str, Any], as_json: frozenset[str] = frozenset()) -> dict[str, Any]:
    """`{id, type, attributes: {...}}` -> one row; nested values stay nested (structs/lists)
    but for the free-form ones in `as_json`, which become JSON text (as in the pipeline)."""
    attributes = dict(record.get("attributes") or {})
    for name in as_json & attributes.keys():
        if attributes[name] is not None:
            attributes[name] = json.dumps(attributes[name])
    return {"id": record.get("id"), "type": record.get("type"), **attributes}


def to_arrow(records: list[dict[str, Any]], as_json: frozenset[str] = frozenset()) -> pa.Table:
    """One pyarrow table; `pa.array` infers the struct type over all rows, not just the first."""
    structs = pa.array([flatten(r, as_json) for r in records])
    return pa.Table.from_struct_array(structs)


def bulk_insert(con: duckdb.DuckDBPyConnection, table: str, data: pa.Table) -> None:
    con.register("_floor_batch", data)
    try:
        con.execute(f'create or replace table "{table}" as select * from _floor_batch')
    finally:
        con.unregister("_floor_batch")


def run_floor(base_url: str, token: str, duckdb_path: Path, page_size: int = 100) -> FloorResult:
    """Fetch every page of every resource the pipeline reads, then bulk-insert each into a
    fresh DuckDB file. `pages` counts the requests per resource (the floor never retries)."""
    endpoints = resource_endpoints()
    started = time.perf_counter()
    fetched: dict[str, list[dict[str, Any]]] = {}
    result = FloorResult(0.0, 0.0, 0.0)
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        for resource, endpoint in endpoints.items():
            records, pages, total = fetch_resource(
                session, base_url, endpoint.path, page_size, endpoint.params
            )
            fetched[resource] = records
            result.pages[resource] = pages
            result.total_count[resource] = total
    result.fetch_seconds = time.perf_counter() - started
    insert_started = time.perf_counter()
    with duckdb.connect(str(duckdb_path)) as con:
        for resource, records in fetched.items():
            if records:
                bulk_insert(con, resource, to_arrow(records, endpoints[resource].json_attributes))
            result.rows[resource] = len(records)
    result.insert_seconds = time.perf_counter() - insert_started
    result.seconds = time.perf_counter() - started
    return result


def count_rows(duckdb_path: Path, table: str) -> int:
    """Rows actually in the warehouse table (what the smoke test checks, not what we think)."""
    with duckdb.connect(str(duckdb_path), read_only=True) as con:
        row = con.execute(f'select count(*) from "{table}"').fetchone()
    return int(row[0]) if row else 0


def pages_per_second(
    base_url: str, token: str, resource: str, page_size: int, pages: int
) -> tuple[float, int]:
    """The demo API on its own: raw page bodies, no JSON decoding, one connection.

    Returns (pages/s, pages fetched). It is what a client could at best get from the
    server, so it must sit well above the pipeline's extract pages/s.
    """
    endpoint = resource_endpoints().get(resource, Endpoint(resource, {}))
    path, params = endpoint.path, endpoint.params
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {token}"
        first = session.get(
            f"{base_url}{path}", params={**params, "page[size]": page_size}, timeout=60
        )
        first.raise_for_status()
        total_pages = int(first.json()["meta"]["total_pages"])
        count = max(1, min(pages, total_pages))
        started = time.perf_counter()
        for page in range(1, count + 1):
            query = {**params, "page[number]": page, "page[size]": page_size}
            resp = session.get(f"{base_url}{path}", params=query, timeout=60)
            resp.raise_for_status()
            _ = resp.content
        elapsed = time.perf_counter() - started
    return count / elapsed, count
