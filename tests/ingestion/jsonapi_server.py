"""A tiny JSON:API server for ingestion unit tests: fixed records, scripted responses.

The demo API is the realistic stand-in; this one exists so a test can say exactly what the
server answers (a 429 with a given header, then a 200) and count what the client asked.
"""

from __future__ import annotations

import json
import math
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Scripted:
    """One canned answer, used once, before normal paging resumes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"errors": [{"status": "scripted"}]}'


@dataclass
class FixtureState:
    token: str
    collections: dict[str, list[dict]]
    script: list[Scripted] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    extra_meta: dict = field(default_factory=dict)


def make_handler(state: FixtureState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                return self._send(401, b'{"errors": [{"status": "401"}]}')
            if state.script:
                canned = state.script.pop(0)
                return self._send(canned.status, canned.body, canned.headers)
            parts = urlsplit(self.path)
            name = parts.path.rstrip("/").rsplit("/", 1)[-1]
            records = state.collections.get(name)
            if records is None:
                return self._send(404, b'{"errors": [{"status": "404"}]}')
            query = parse_qs(parts.query)
            size = int(query.get("page[size]", ["20"])[0])
            number = int(query.get("page[number]", ["1"])[0])
            total_pages = math.ceil(len(records) / size)
            page = records[(number - 1) * size : number * size]
            body = {
                "data": page,
                "links": {},
                "meta": {
                    "current_page": number,
                    "total_pages": total_pages,
                    "total_count": len(records),
                    **state.extra_meta,
                },
            }
            return self._send(200, json.dumps(body).encode())

        def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/vnd.api+json")
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


@contextmanager
def jsonapi_server(collections: dict[str, list[dict]], token: str = "fixture-token") -> Iterator:
    state = FixtureState(token=token, collections=collections)
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        server.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1/"
        server.state = state
        yield server
    finally:
        server.shutdown()
        server.server_close()
