"""The HTTP server: JSON:API list endpoints under /v1 and test controls under /_demo.

Standard library only (``ThreadingHTTPServer``), so the demo API adds no runtime dependency.
Request handling order mirrors a real API gateway: authenticate, rate-limit, then serve;
faults are injected around the serving step.
"""

from __future__ import annotations

import hmac
import json
import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from ingestion.demo_api.catalog import SEVERITIES
from ingestion.demo_api.dataset import Dataset
from ingestion.demo_api.faults import (
    Faults,
    duplicates_for,
    error_status_for,
    mutate_attributes,
)
from ingestion.demo_api.incident_render import severity_object
from ingestion.demo_api.query import QueryError, parse_incident_selection, parse_page
from ingestion.demo_api.ratelimit import DEFAULT_LIMIT, DEFAULT_WINDOW_S, SlidingWindowLimiter
from ingestion.demo_api.state import DemoState, save_state
from ingestion.demo_api.stats import RequestStats

JSON_API = "application/vnd.api+json"
RESOURCES = ("incidents", "dashboards", "severities")
RATE_KEYS = ("rate_limit", "rate_window", "retry_after")


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_body(status: int, title: str, detail: str) -> bytes:
    """A JSON:API error document."""
    return dumps({"errors": [{"status": str(status), "title": title, "detail": detail}]})


@dataclass
class Reply:
    """A response about to be sent."""

    status: int
    body: bytes
    content_type: str = JSON_API
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class ServerConfig:
    """How the server behaves besides its data: auth, limits, faults, persistence."""

    token: str
    rate_limit: int = DEFAULT_LIMIT
    rate_window: float = DEFAULT_WINDOW_S
    retry_after: bool = False
    faults: Faults = field(default_factory=Faults)
    state_dir: Path | None = None
    verbose: bool = False


class DemoApp:
    """Server state shared by all request threads: data, limiter, faults and counters."""

    def __init__(self, dataset: Dataset, config: ServerConfig) -> None:
        self.dataset = dataset
        self.config = config
        self.limiter = SlidingWindowLimiter(config.rate_limit, config.rate_window)
        self.stats = RequestStats()
        self._fault_lock = threading.Lock()
        self._faults = config.faults
        self._attempts: Counter[str] = Counter()
        self._fault_pages = 0

    # ---------------------------------------------------------------- faults and limits

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_controls(self, values: dict[str, Any]) -> dict[str, Any]:
        """Replace the fault set (keys not given are off); rate-limit keys update the limiter."""
        rate = {
            k.replace("-", "_"): v for k, v in values.items() if k.replace("-", "_") in RATE_KEYS
        }
        faults = Faults.from_mapping(
            {k: v for k, v in values.items() if k.replace("-", "_") not in RATE_KEYS}
        )
        with self._fault_lock:
            self._faults = faults
            self._attempts.clear()
            self._fault_pages = 0
            if rate:
                limit = int(rate.get("rate_limit", self.config.rate_limit))
                window = float(rate.get("rate_window", self.config.rate_window))
                if limit < 1 or window <= 0:
                    raise ValueError("rate_limit must be >= 1 and rate_window > 0")
                self.config.rate_limit, self.config.rate_window = limit, window
                self.config.retry_after = bool(rate.get("retry_after", self.config.retry_after))
                self.limiter = SlidingWindowLimiter(limit, window)
        return self.controls()

    def controls(self) -> dict[str, Any]:
        return {
            **self._faults.to_dict(),
            "rate_limit": self.config.rate_limit,
            "rate_window": self.config.rate_window,
            "retry_after": self.config.retry_after,
        }

    def _next_attempt(self, url: str) -> int:
        with self._fault_lock:
            attempt = self._attempts[url]
            self._attempts[url] += 1
            return attempt

    def _count_fault_page(self) -> None:
        with self._fault_lock:
            self._fault_pages += 1

    # ---------------------------------------------------------------- /v1

    def authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            return False
        return hmac.compare_digest(credential.encode(), self.config.token.encode())

    def handle_v1(self, path: str, query: str, host: str, auth: str | None) -> Reply:
        """Everything under /v1: auth, rate limit, faults, then the list endpoints."""
        if not self.authorized(auth):
            decision = self.limiter.peek("anonymous")
            detail = "Send Authorization: Bearer <token>."
            reply = Reply(401, error_body(401, "Unauthorized", detail))
            reply.headers.update(decision.headers(False))
            reply.headers["WWW-Authenticate"] = 'Bearer realm="demo-api"'
            return reply
        decision = self.limiter.hit(self.config.token)
        rate_headers = decision.headers(self.config.retry_after)
        resource = path.removeprefix("/v1/").strip("/")
        faults = self._faults
        targeted = resource in RESOURCES and faults.applies_to(resource)
        if not decision.allowed or (faults.always_429 and targeted):
            if decision.allowed:  # forced 429: report an exhausted window
                rate_headers["RateLimit-Remaining"] = "0"
                if self.config.retry_after:
                    rate_headers["Retry-After"] = str(max(1, math.ceil(self.config.rate_window)))
            detail = f"Rate limit of {self.config.rate_limit} requests per window exceeded."
            return Reply(429, error_body(429, "Too Many Requests", detail), headers=rate_headers)
        reply = self._serve_resource(resource, query, host, faults, targeted)
        reply.headers.update(rate_headers)
        return reply

    def _serve_resource(
        self, resource: str, query: str, host: str, faults: Faults, targeted: bool
    ) -> Reply:
        if resource not in RESOURCES:
            return Reply(404, error_body(404, "Not Found", f"No route for /v1/{resource}"))
        limit = faults.fail_after_pages
        if targeted and limit is not None and self._fault_pages >= limit:
            detail = "Injected failure after pages (fail_after_pages)."
            return Reply(500, error_body(500, "Internal Server Error", detail))
        if targeted:
            url = f"/v1/{resource}?{query}"
            status = error_status_for(
                faults, self.dataset.params.seed, url, self._next_attempt(url)
            )
            if status is not None:
                return Reply(status, error_body(status, "Server Error", "Injected error."))
        params = parse_qs(query, keep_blank_values=True)
        try:
            page = parse_page(params)
            selection = parse_incident_selection(params) if resource == "incidents" else None
        except QueryError as exc:
            body = dumps(
                {
                    "errors": [
                        {
                            "status": "400",
                            "title": exc.title,
                            "detail": exc.detail,
                            "source": {"parameter": exc.parameter},
                        }
                    ]
                }
            )
            return Reply(400, body)
        document = self._list_document(resource, params, page, selection, host, faults, targeted)
        if targeted:
            self._count_fault_page()
            if faults.html_page == page.number:
                html = "<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1>"
                return Reply(200, (html + "</body></html>").encode(), "text/html; charset=utf-8")
            if faults.no_data_page == page.number:
                document.pop("data")
        body = dumps(document)
        if targeted and faults.truncate_page == page.number:
            body = body[: len(body) // 2]
        return Reply(200, body)

    def _list_document(
        self,
        resource: str,
        params: dict[str, list[str]],
        page: Any,
        selection: Any,
        host: str,
        faults: Faults,
        targeted: bool,
    ) -> dict[str, Any]:
        dataset = self.dataset
        with dataset.lock:
            if resource == "incidents":
                window = dataset.select_incidents(selection)
                total = window.total
                ids = window.page(page.offset, page.size)
                render = dataset.render_incident
                previous = (
                    window.page(page.offset - page.size, page.size)
                    if targeted and faults.duplicate_rate > 0 and page.number > 1
                    else []
                )
            elif resource == "severities":
                # a small static catalogue, as in the real API's /v1/severities
                order = list(range(len(SEVERITIES)))
                total = len(order)
                ids = order[page.offset : page.offset + page.size]
                render = _severity_record
                previous = []
            else:
                order = dataset.dashboard_order
                total = len(order)
                ids = order[page.offset : page.offset + page.size]
                render = dataset.render_dashboard
                previous = (
                    order[max(0, page.offset - page.size) : page.offset]
                    if targeted and faults.duplicate_rate > 0
                    else []
                )
            data = [render(i) for i in ids]
            if previous and data:
                repeated = duplicates_for(
                    faults, dataset.params.seed, resource, page.number, previous
                )
                data = [render(i) for i in repeated] + data
        if targeted and faults.mutates_records and page.number >= faults.fault_from_page:
            data = [mutate_attributes(faults, record) for record in data]
        total_pages = math.ceil(total / page.size)
        number = page.number
        return {
            "data": data,
            "links": _links(host, resource, params, number, total_pages),
            "meta": {
                "current_page": number,
                "next_page": number + 1 if number < total_pages else None,
                "prev_page": number - 1 if number > 1 else None,
                "total_count": total,
                "total_pages": total_pages,
            },
        }

    # ---------------------------------------------------------------- /_demo

    def apply_changes(self, count: int) -> dict[str, Any]:
        summaries = self.dataset.apply_changes(count)
        if self.config.state_dir is not None:
            save_state(
                self.config.state_dir,
                DemoState(self.dataset.params, self.dataset.batches_applied),
            )
        return {
            "batches_applied": self.dataset.batches_applied,
            "incidents_total": len(self.dataset.incidents),
            "dashboards_total": len(self.dataset.dashboard_order),
            "batches": [s.to_dict() for s in summaries],
        }

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok",
            "params": self.dataset.params.to_dict(),
            "batches_applied": self.dataset.batches_applied,
            "incidents": len(self.dataset.incidents),
            "dashboards": len(self.dataset.dashboard_order),
        }


def _severity_record(code: int) -> dict[str, Any]:
    """A severity as a top-level JSON:API resource (the object incidents nest under data)."""
    return severity_object(code)["data"]


def _links(
    host: str, resource: str, params: dict[str, list[str]], number: int, total_pages: int
) -> dict[str, str | None]:
    """Absolute page links that keep every query parameter and replace page[number]."""
    base = f"http://{host}/v1/{resource}"
    kept = [(k, v) for k, values in params.items() if k != "page[number]" for v in values]

    def link(n: int) -> str:
        query = urlencode([("page[number]", str(n)), *kept], quote_via=quote, safe="[]")
        return f"{base}?{query}"

    last = max(total_pages, 1)
    return {
        "self": link(number),
        "first": link(1),
        "prev": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if number < total_pages else None,
        "last": link(last),
    }


def _is_loopback(address: str) -> bool:
    return (
        address.startswith("127.")
        or address in ("::1", "localhost")
        or address.startswith("::ffff:127.")
    )


class DemoRequestHandler(BaseHTTPRequestHandler):
    """Routes requests to the :class:`DemoApp` held by the server."""

    protocol_version = "HTTP/1.1"  # keep-alive: a paging client reuses one connection
    server_version = "DemoIncidentAPI/1.0"
    disable_nagle_algorithm = True
    server: DemoHTTPServer

    # BaseHTTPRequestHandler logs every request to stderr; a subprocess whose stderr pipe is
    # not drained would block on that. Log only when asked, and never the headers (token).
    def log_message(self, format: str, *args: Any) -> None:
        if self.server.app.config.verbose:
            sys.stderr.write(f"demo API: {self.address_string()} {format % args}\n")

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        app = self.server.app
        split = urlsplit(self.path)
        path, query = split.path, split.query
        body = self._read_body()
        try:
            if path == "/v1" or path.startswith("/v1/"):
                self._v1(app, method, path, query)
            elif path.startswith("/_demo/"):
                self._admin(app, method, path, body)
            else:
                self._send(Reply(404, error_body(404, "Not Found", f"No route for {path}")))
        except Exception as exc:  # a bug must answer 500, not drop the connection
            sys.stderr.write(f"demo API: error serving {method} {path}: {exc!r}\n")
            self._send(Reply(500, error_body(500, "Internal Server Error", type(exc).__name__)))

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _v1(self, app: DemoApp, method: str, path: str, query: str) -> None:
        resource = path.removeprefix("/v1/").strip("/")
        if method != "GET":
            reply = Reply(405, error_body(405, "Method Not Allowed", "The demo API is read-only."))
        else:
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            reply = app.handle_v1(path, query, host, self.headers.get("Authorization"))
        slow = app.faults.slow_ms
        if slow > 0 and app.faults.applies_to(resource):
            time.sleep(slow / 1000)
        # Count before sending, so a client that reads /_demo/stats right after sees it.
        listed = resource if resource in RESOURCES else None
        is_page = reply.status == 200 and listed is not None
        app.stats.record(path, reply.status, listed, query, is_page)
        self._send(reply)

    def _admin(self, app: DemoApp, method: str, path: str, body: bytes) -> None:
        if not _is_loopback(self.client_address[0]):
            self._send(
                Reply(403, error_body(403, "Forbidden", "Loopback only."), "application/json")
            )
            return
        route = (method, path.rstrip("/"))
        try:
            payload = json.loads(body) if body.strip() else {}
            if not isinstance(payload, dict):
                raise ValueError("body must be a JSON object")
            if route == ("GET", "/_demo/health"):
                result: Any = app.health()
            elif route == ("GET", "/_demo/stats"):
                result = app.stats.snapshot()
            elif route == ("POST", "/_demo/stats/reset"):
                app.stats.reset()
                result = app.stats.snapshot()
            elif route == ("GET", "/_demo/faults"):
                result = app.controls()
            elif route == ("POST", "/_demo/faults"):
                result = app.set_controls(payload)
            elif route == ("POST", "/_demo/changes"):
                count = int(payload.get("count", 1))
                if count < 0:
                    raise ValueError("count must be >= 0")
                result = app.apply_changes(count)
            elif route == ("GET", "/_demo/ground-truth"):
                self._stream(app.dataset.iter_ground_truth_json())
                return
            else:
                self._send(Reply(404, error_body(404, "Not Found", path), "application/json"))
                return
        except (ValueError, TypeError) as exc:
            self._send(Reply(400, error_body(400, "Bad Request", str(exc)), "application/json"))
            return
        self._send(Reply(200, dumps(result), "application/json"))

    def _send(self, reply: Reply) -> None:
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def _stream(self, chunks: Iterator[str]) -> None:
        """Send a large JSON document with chunked encoding, without building it in memory."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        buffer: list[bytes] = []
        size = 0
        for chunk in chunks:
            data = chunk.encode("utf-8")
            buffer.append(data)
            size += len(data)
            if size >= 1 << 16:
                self._write_chunk(b"".join(buffer))
                buffer, size = [], 0
        if buffer:
            self._write_chunk(b"".join(buffer))
        self.wfile.write(b"0\r\n\r\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")


class DemoHTTPServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the :class:`DemoApp`."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def __init__(self, address: tuple[str, int], app: DemoApp) -> None:
        self.app = app
        super().__init__(address, DemoRequestHandler)

    @property
    def port(self) -> int:
        return int(self.server_address[1])


def build_server(dataset: Dataset, config: ServerConfig, host: str, port: int) -> DemoHTTPServer:
    return DemoHTTPServer((host, port), DemoApp(dataset, config))
