"""HTTP helpers shared by the demo API tests."""

from __future__ import annotations

from typing import Any

import requests

from ingestion.demo_api import DemoAPI, run_demo_api


def get(session: requests.Session, api: DemoAPI, resource: str, **params: Any) -> requests.Response:
    return session.get(api.base_url + resource, params=params, timeout=30)


def fetch_all(
    session: requests.Session, api: DemoAPI, resource: str, **params: Any
) -> list[dict[str, Any]]:
    """Every record of a list endpoint, following meta.next_page."""
    records: list[dict[str, Any]] = []
    number = 1
    while True:
        response = get(session, api, resource, **{**params, "page[number]": number})
        response.raise_for_status()
        body = response.json()
        records.extend(body["data"])
        if body["meta"]["next_page"] is None:
            return records
        number = body["meta"]["next_page"]


def authed(api: DemoAPI) -> requests.Session:
    """A session that sends the server's bearer token (use as a context manager)."""
    session = requests.Session()
    session.headers.update(api.headers)
    return session


def fetch_all_by_cursor(
    session: requests.Session, api: DemoAPI, resource: str, **params: Any
) -> list[dict[str, Any]]:
    """Every record of a list endpoint, following meta.next_cursor with page[after]."""
    records: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = params if cursor is None else {**params, "page[after]": cursor}
        response = get(session, api, resource, **query)
        response.raise_for_status()
        body = response.json()
        records.extend(body["data"])
        cursor = body["meta"]["next_cursor"]
        if cursor is None:
            return records


def responses_past_the_limit(
    dialect: str, body: str = "jsonapi", **server: Any
) -> list[requests.Response]:
    """Three `GET /v1/dashboards` to a server that allows 2 per 30 s: two allowed, one 429,
    with the rate-limit headers of ``dialect`` and the 429 body ``body``."""
    with (
        run_demo_api(
            in_process=True,
            rate_limit=2,
            rate_window=30,
            rate_limit_headers=dialect,
            rate_limit_body=body,
            **server,
        ) as api,
        authed(api) as s,
    ):
        return [s.get(api.base_url + "dashboards", timeout=10) for _ in range(3)]
