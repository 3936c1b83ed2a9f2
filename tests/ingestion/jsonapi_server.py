"""A tiny JSON:API server for ingestion unit tests: fixed records, scripted responses.

The demo API is the realistic stand-in; this one exists so a test can say exactly what the
server answers (a 429 with a given header, then a 200) and count what the client asked.
It can also enforce a sliding-window rate limit (`DialectLimit`) and report it in any of
the header dialects a real server speaks, counting the 429s it sent.
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

from ingestion.demo_api.ratelimit import Decision, SlidingWindowLimiter

# How each dialect reports the limit: (headers of a Decision, body of its 429).
DIALECTS = ("ratelimit-epoch", "ratelimit-delta", "x-ratelimit", "structured", "none")
VENDOR_429_BODY = b'{"error": "Rate limit exceeded. Try again later."}'
JSONAPI_429_BODY = b'{"errors": [{"status": "429", "title": "Too Many Requests"}]}'


@dataclass
class Scripted:
    """One canned answer, used once, before normal paging resumes."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b'{"errors": [{"status": "scripted"}]}'


@dataclass
class DialectLimit:
    """A sliding-window limit (real clock) reported in one dialect of rate-limit headers.

    `ratelimit-epoch`: `RateLimit-*`, Reset in epoch seconds (the vendor's docs site);
    `ratelimit-delta`: the same with Reset in delta-seconds (the IETF draft);
    `x-ratelimit`: the vendor's current spec, `X-RateLimit-Limit: "5, 5;window=1"`, `-Remaining`,
    `-Used`, `-Reset` (epoch), and a plain `{"error": ...}` 429 body;
    `structured`: `RateLimit: limit=5, remaining=4, reset=1` with `RateLimit-Policy: 5;w=1`;
    `none`: no headers at all, and an empty 429 body.
    """

    limit: int
    window_s: float
    dialect: str

    def __post_init__(self) -> None:
        if self.dialect not in DIALECTS:
            raise ValueError(f"unknown rate-limit dialect {self.dialect!r}")
        self.limiter = SlidingWindowLimiter(self.limit, self.window_s)

    def headers(self, decision: Decision) -> dict[str, str]:
        limit, remaining = str(decision.limit), str(decision.remaining)
        delta = str(decision.retry_after_s)
        window = f"{self.window_s:g}"
        if self.dialect == "ratelimit-epoch":
            return decision.headers(with_retry_after=False)
        if self.dialect == "ratelimit-delta":
            return {
                "RateLimit-Limit": limit,
                "RateLimit-Remaining": remaining,
                "RateLimit-Reset": delta,
            }
        if self.dialect == "x-ratelimit":
            return {
                "X-RateLimit-Limit": f"{limit}, {limit};window={window}",
                "X-RateLimit-Remaining": remaining,
                "X-RateLimit-Used": str(decision.limit - decision.remaining),
                "X-RateLimit-Reset": str(decision.reset_epoch),
            }
        if self.dialect == "structured":
            return {
                "RateLimit": f"limit={limit}, remaining={remaining}, reset={delta}",
                "RateLimit-Policy": f"{limit};w={window}",
            }
        return {}

    def rejection_body(self) -> bytes:
        return {"x-ratelimit": VENDOR_429_BODY, "none": b""}.get(self.dialect, JSONAPI_429_BODY)


@dataclass
class FixtureState:
    token: str
    collections: dict[str, list[dict]]
    script: list[Scripted] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    extra_meta: dict = field(default_factory=dict)
    rate_limit: DialectLimit | None = None
    rejected: int = 0  # 429s sent by `rate_limit`
    served: int = 0  # 200s sent by `rate_limit`, headers and all


def make_handler(state: FixtureState):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:
            state.requests.append(self.path)
            if self.headers.get("Authorization") != f"Bearer {state.token}":
                return self._send(401, b'{"errors": [{"status": "401"}]}')
            limited: dict[str, str] = {}
            if state.rate_limit is not None:
                decision = state.rate_limit.limiter.hit(state.token)
                limited = state.rate_limit.headers(decision)
                if not decision.allowed:
                    state.rejected += 1
                    return self._send(429, state.rate_limit.rejection_body(), limited)
                state.served += 1
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
            return self._send(200, json.dumps(body).encode(), limited)

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
