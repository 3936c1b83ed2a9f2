"""The HTTP server: JSON:API list endpoints under /v1 and test controls under /_demo.

Standard library only (``ThreadingHTTPServer``), so the demo API adds no runtime dependency.
Request handling order mirrors a real API gateway: authenticate, rate-limit, then serve;
faults are injected around the serving step, and live data changes (churn) after it.
"""

from __future__ import annotations

import hmac
import json
import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from ingestion.demo_api.catalog import SEVERITIES
from ingestion.demo_api.cursor import Cursor, encode_cursor
from ingestion.demo_api.dataset import Dataset
from ingestion.demo_api.faults import (
    Faults,
    drop_null_attributes,
    duplicates_for,
    error_status_for,
    localize_timestamps,
    mutate_attributes,
)
from ingestion.demo_api.incident_render import severity_object
from ingestion.demo_api.more import MORE_LISTS
from ingestion.demo_api.ordering import IncidentOrdering, Selection
from ingestion.demo_api.query import (
    MAX_PAGE_SIZE,
    PageRequest,
    QueryError,
    parse_alert_selection,
    parse_incident_selection,
    parse_page,
    parse_page_after,
)
from ingestion.demo_api.ratelimit import (
    BODY_STYLES,
    DEFAULT_LIMIT,
    DEFAULT_WINDOW_S,
    HEADER_DIALECTS,
    Decision,
    SlidingWindowLimiter,
    check_choice,
)
from ingestion.demo_api.state import DemoState, save_state
from ingestion.demo_api.stats import RequestStats

JSON_API = "application/vnd.api+json"
RESOURCES = ("incidents", "dashboards", "severities", *MORE_LISTS)
#: Lists with filters, sorts and cursor paging (``page[after]``, ``meta.next_cursor``).
CURSOR_LISTS = ("incidents", "alerts")
#: Controls that tune the limiter rather than inject a fault: a runtime ``POST /_demo/faults``
#: changes only those it names and keeps the others.
RATE_KEYS = ("rate_limit", "rate_window", "retry_after", "rate_limit_headers", "rate_limit_body")
_LIMITER_KEYS = ("rate_limit", "rate_window", "retry_after")
#: The 429 body of the vendor's current spec (not JSON:API).
PLAIN_429 = {"error": "Rate limit exceeded. Try again later."}


def dumps(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def error_body(status: int, title: str, detail: str) -> bytes:
    """A JSON:API error document."""
    return dumps({"errors": [{"status": str(status), "title": title, "detail": detail}]})


@dataclass
class Reply:
    """A response about to be sent; ``content_type`` None sends no Content-Type header."""

    status: int
    body: bytes
    content_type: str | None = JSON_API
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
    rate_limit_headers: str = "ietf"  # one of ratelimit.HEADER_DIALECTS
    rate_limit_body: str = "jsonapi"  # one of ratelimit.BODY_STYLES

    def __post_init__(self) -> None:
        self.rate_limit_headers = check_choice(
            "rate_limit_headers", self.rate_limit_headers, HEADER_DIALECTS
        )
        self.rate_limit_body = check_choice("rate_limit_body", self.rate_limit_body, BODY_STYLES)


@dataclass(frozen=True)
class Route:
    """Which list a path under /v1 names: ``resource`` (a name of RESOURCES) at ``path``.

    ``incidents/<id>/action_items`` is the ``action_items`` list of one incident.
    """

    resource: str
    path: str
    incident_id: str | None = None


def route_for(path: str) -> Route | None:
    """The list ``path`` (after ``/v1/``, no slashes around it) names, or None (a 404)."""
    if path in RESOURCES:
        return Route(path, path)
    parts = path.split("/")
    if len(parts) == 3 and parts[0] == "incidents" and parts[1] and parts[2] == "action_items":
        return Route("action_items", path, unquote(parts[1]))
    return None


@dataclass(frozen=True)
class ListRequest:
    """A parsed list request: paging, and for incidents and alerts the selection and cursor."""

    params: dict[str, list[str]]
    page: PageRequest
    selection: Selection | None = None
    cursor: Cursor | None = None
    #: Whether responses carry ``meta.next_cursor`` (incidents, alerts on a current server).
    cursor_paging: bool = False


@dataclass(frozen=True)
class PageSlice:
    """The rows of one list page and where they sit in the whole selection."""

    ids: list[int]
    total: int
    offset: int
    size: int
    previous: list[int]  # rows of the page before, for the duplicate fault
    next_cursor: str | None = None

    @property
    def number(self) -> int:
        """The page number this slice is (for a cursor page: where it starts, 1-based)."""
        return self.offset // self.size + 1


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
        self._churn_pages = 0  # churned pages served under the current churn setting
        self._churn_applied = 0  # live updates applied for those pages

    # ---------------------------------------------------------------- faults and limits

    @property
    def faults(self) -> Faults:
        return self._faults

    def set_controls(self, values: dict[str, Any]) -> dict[str, Any]:
        """Replace the fault set (keys not given are off); rate-limit keys update the limiter.

        Everything is validated before anything changes, so a bad body changes nothing.
        """
        given = {k.replace("-", "_"): v for k, v in values.items()}
        rate = {k: v for k, v in given.items() if k in RATE_KEYS}
        faults = Faults.from_mapping({k: v for k, v in given.items() if k not in RATE_KEYS})
        limit = int(rate.get("rate_limit", self.config.rate_limit))
        window = float(rate.get("rate_window", self.config.rate_window))
        if limit < 1 or window <= 0:
            raise ValueError("rate_limit must be >= 1 and rate_window > 0")
        dialect = check_choice(
            "rate_limit_headers",
            rate.get("rate_limit_headers", self.config.rate_limit_headers),
            HEADER_DIALECTS,
        )
        body = check_choice(
            "rate_limit_body", rate.get("rate_limit_body", self.config.rate_limit_body), BODY_STYLES
        )
        with self._fault_lock:
            self._faults = faults
            self._attempts.clear()
            self._fault_pages = self._churn_pages = self._churn_applied = 0
            self.config.rate_limit_headers, self.config.rate_limit_body = dialect, body
            if any(key in rate for key in _LIMITER_KEYS):
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
            "rate_limit_headers": self.config.rate_limit_headers,
            "rate_limit_body": self.config.rate_limit_body,
        }

    def _next_attempt(self, url: str) -> int:
        with self._fault_lock:
            attempt = self._attempts[url]
            self._attempts[url] += 1
            return attempt

    def _count_fault_page(self) -> None:
        with self._fault_lock:
            self._fault_pages += 1

    def _churn(self, faults: Faults) -> None:
        """Apply the live updates due after one more page of the churned list
        (``churn_per_page``): incidents, or alerts when ``fault_resource`` names them.

        Fractions accumulate: at 0.25 every fourth page brings one update. The count is
        derived from the page count, not summed as floats, so 0.1 x 10 is exactly 1.
        """
        if faults.churn_per_page <= 0:
            return
        with self._fault_lock:
            self._churn_pages += 1
            due = math.floor(self._churn_pages * faults.churn_per_page + 1e-9)
            count, self._churn_applied = due - self._churn_applied, due
        if count <= 0:
            return
        if faults.churn_resource == "alerts":
            self.dataset.apply_live_alert_updates(count)
        else:
            self.dataset.apply_live_updates(count, faults.churn_delete_share)

    # ---------------------------------------------------------------- /v1

    def authorized(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, credential = header.strip().partition(" ")
        credential = credential.strip()
        if scheme.lower() != "bearer" or not credential:
            return False
        return hmac.compare_digest(credential.encode(), self.config.token.encode())

    def _rate_headers(self, decision: Decision, with_retry_after: bool) -> dict[str, str]:
        return decision.headers(with_retry_after, self.config.rate_limit_headers)

    def handle_v1(self, path: str, query: str, host: str, auth: str | None) -> Reply:
        """Everything under /v1: auth, rate limit, faults, then the list endpoints."""
        if not self.authorized(auth):
            detail = "Send Authorization: Bearer <token>."
            reply = Reply(401, error_body(401, "Unauthorized", detail))
            reply.headers.update(self._rate_headers(self.limiter.peek("anonymous"), False))
            reply.headers["WWW-Authenticate"] = 'Bearer realm="demo-api"'
            return reply
        decision = self.limiter.hit(self.config.token)
        resource = path.removeprefix("/v1/").strip("/")
        route = route_for(resource)
        faults = self._faults
        targeted = route is not None and faults.applies_to(route.resource)
        if not decision.allowed or (faults.always_429 and targeted):
            # a forced 429 reports an exhausted window
            return self._rate_limited(decision if not decision.allowed else decision.exhausted())
        reply = self._serve_resource(resource, route, query, host, faults, targeted)
        reply.headers.update(self._rate_headers(decision, self.config.retry_after))
        return reply

    def _rate_limited(self, decision: Decision) -> Reply:
        """A 429 in the configured body style (``rate_limit_body``) and header dialect."""
        headers = self._rate_headers(decision, self.config.retry_after)
        style = self.config.rate_limit_body
        if style == "plain":
            return Reply(429, dumps(PLAIN_429), "application/json", headers)
        if style == "empty":
            return Reply(429, b"", None, headers)
        detail = f"Rate limit of {self.config.rate_limit} requests per window exceeded."
        return Reply(429, error_body(429, "Too Many Requests", detail), headers=headers)

    def _serve_resource(
        self,
        resource: str,
        route: Route | None,
        query: str,
        host: str,
        faults: Faults,
        targeted: bool,
    ) -> Reply:
        if route is None:
            return Reply(404, error_body(404, "Not Found", f"No route for /v1/{resource}"))
        parent = None
        if route.incident_id is not None:
            parent = self.dataset.find_incident(route.incident_id)
            if parent is None:
                detail = f"No incident with id {route.incident_id!r}."
                return Reply(404, error_body(404, "Not Found", detail))
        failure = self._injected_failure(resource, query, faults, targeted)
        if failure is not None:
            return failure
        try:
            params = parse_qs(query, keep_blank_values=True)
            request = _parse_list_request(route.resource, params, faults)
        except QueryError as exc:
            return _bad_request(exc)
        document, number = self._list_document(route, parent, request, host, faults, targeted)
        reply = self._page_reply(document, number, faults, targeted)
        if route.resource == faults.churn_resource:
            self._churn(faults)  # after the page is rendered: the reader saw the old data
        return reply

    def _injected_failure(
        self, resource: str, query: str, faults: Faults, targeted: bool
    ) -> Reply | None:
        """The 500 of ``fail_after_pages`` or the random error of ``error_rate``, if due."""
        if not targeted:
            return None
        limit = faults.fail_after_pages
        if limit is not None and self._fault_pages >= limit:
            detail = "Injected failure after pages (fail_after_pages)."
            return Reply(500, error_body(500, "Internal Server Error", detail))
        url = f"/v1/{resource}?{query}"
        status = error_status_for(faults, self.dataset.params.seed, url, self._next_attempt(url))
        if status is not None:
            return Reply(status, error_body(status, "Server Error", "Injected error."))
        return None

    def _page_reply(
        self, document: dict[str, Any], number: int, faults: Faults, targeted: bool
    ) -> Reply:
        """Serialise a list document, breaking it as the page faults say."""
        if targeted:
            self._count_fault_page()
            if faults.html_page == number:
                html = "<!DOCTYPE html><html><body><h1>Service temporarily unavailable</h1>"
                return Reply(200, (html + "</body></html>").encode(), "text/html; charset=utf-8")
            if faults.no_data_page == number:
                document.pop("data")
        body = dumps(document)
        if targeted and faults.truncate_page == number:
            body = body[: len(body) // 2]
        return Reply(200, body)

    def _list_document(
        self,
        route: Route,
        parent: int | None,
        request: ListRequest,
        host: str,
        faults: Faults,
        targeted: bool,
    ) -> tuple[dict[str, Any], int]:
        """The JSON:API list document and its (effective) page number.

        ``parent`` is the incident row of a nested list (its action items).
        """
        dataset = self.dataset
        resource = route.resource
        want_previous = targeted and faults.duplicate_rate > 0 and resource != "severities"
        render: Callable[[Any], dict[str, Any]]
        with dataset.lock:
            if resource == "incidents":
                page = self._ordered_slice(dataset.ordering, request, want_previous)
                render = dataset.render_incident
            elif resource == "severities":
                # a small static catalogue, as in the real API's /v1/severities
                page = _static_slice(range(len(SEVERITIES)), request.page, want_previous)
                render = _severity_record
            elif resource == "dashboards":
                page = _static_slice(dataset.dashboard_order, request.page, want_previous)
                render = dataset.render_dashboard
            elif resource == "alerts":
                more = dataset.more
                page = self._ordered_slice(more.alert_ordering, request, want_previous)
                render = more.renderer(resource)
            else:  # action items (of one incident or all), retrospectives, catalogs
                more = dataset.more
                order = (
                    more.order(resource) if parent is None else more.incident_action_items(parent)
                )
                page = _static_slice(order, request.page, want_previous)
                render = more.renderer(resource)
            data = [render(i) for i in page.ids]
            if page.previous and data:
                repeated = duplicates_for(
                    faults, dataset.params.seed, resource, page.number, page.previous
                )
                data = [render(i) for i in repeated] + data
        if targeted and faults.mutates_records and page.number >= faults.fault_from_page:
            data = [mutate_attributes(faults, record) for record in data]
        if targeted and faults.local_offsets:
            data = [localize_timestamps(self.dataset.params.seed, record) for record in data]
        if targeted and faults.omit_null_attributes:
            data = [drop_null_attributes(record) for record in data]
        document: dict[str, Any] = {
            "data": data,
            "links": _links(host, route.path, request, page),
            "meta": _meta(request, page),
        }
        if targeted:
            for key in faults.omit_meta:
                document["meta"].pop(key, None)
            if faults.omit_links:
                document.pop("links")
        return document, page.number

    def _ordered_slice(
        self, ordering: IncidentOrdering, request: ListRequest, want_previous: bool
    ) -> PageSlice:
        """One page of incidents (or alerts) by offset or by cursor: O(page size + log n)."""
        assert request.selection is not None
        window = ordering.select(request.selection)
        size, cursor = request.page.size, request.cursor
        offset = request.page.offset
        if cursor is not None:
            offset = window.offset_after(cursor.key, cursor.index)
        ids = window.page(offset, size)
        previous = window.page(offset - size, size) if want_previous and offset >= size else []
        next_cursor = None
        if request.cursor_paging and ids and offset + len(ids) < window.total:
            sort, last = request.selection.sort, ids[-1]
            key = ordering.cursor_key(sort, last)
            next_cursor = encode_cursor(sort, key, last + 1)
        return PageSlice(ids, window.total, offset, size, previous, next_cursor)

    # ---------------------------------------------------------------- /_demo

    def apply_changes(self, count: int) -> dict[str, Any]:
        """Apply change batches; ``other_batches`` says what each did to the resources
        besides incidents and dashboards (alerts, action items, retrospectives, catalogs)."""
        summaries = self.dataset.apply_changes(count)
        if self.config.state_dir is not None:
            save_state(
                self.config.state_dir,
                DemoState(self.dataset.params, self.dataset.batches_applied),
            )
        more = self.dataset.more
        return {
            "batches_applied": self.dataset.batches_applied,
            "incidents_total": self.dataset.incidents.alive_count,
            "dashboards_total": len(self.dataset.dashboard_order),
            "batches": [s.to_dict() for s in summaries],
            "other_batches": [more.summaries[s.batch] for s in summaries],
        }

    def health(self) -> dict[str, Any]:
        dataset = self.dataset
        return {
            "status": "ok",
            "params": dataset.params.to_dict(),
            "batches_applied": dataset.batches_applied,
            "incidents": dataset.incidents.alive_count,
            "incidents_deleted": dataset.incidents.deleted_count,
            "dashboards": len(dataset.dashboard_order),
            # in-memory changes made by churn_per_page (advanced / deleted incidents,
            # advanced alerts)
            "live_updates": dataset.live_updates,
            "live_deletes": dataset.live_deletes,
            "live_alert_updates": dataset.live_alert_updates,
        }


def _parse_list_request(resource: str, params: dict[str, list[str]], faults: Faults) -> ListRequest:
    """Paging for every list; selection and ``page[after]`` for incidents and alerts (400 if
    bad).

    Without cursor paging (lists other than incidents and alerts, or ``no_cursor_paging``)
    ``page[after]`` is an unknown parameter and ignored, as an older server would.
    """
    page = parse_page(params, faults.max_page_size or MAX_PAGE_SIZE)
    if resource not in CURSOR_LISTS:
        return ListRequest(params, page)
    if resource == "incidents":
        selection = parse_incident_selection(params)
    else:
        selection = parse_alert_selection(params)
    cursor_paging = not faults.no_cursor_paging
    cursor = parse_page_after(params, selection.sort) if cursor_paging else None
    return ListRequest(params, page, selection, cursor, cursor_paging)


def _bad_request(exc: QueryError) -> Reply:
    error = {
        "status": "400",
        "title": exc.title,
        "detail": exc.detail,
        "source": {"parameter": exc.parameter},
    }
    return Reply(400, dumps({"errors": [error]}))


def _static_slice(order: Any, page: PageRequest, want_previous: bool) -> PageSlice:
    """A page of a small list that is only ever walked by page number."""
    offset, size = page.offset, page.size
    ids = list(order[offset : offset + size])
    previous = list(order[max(0, offset - size) : offset]) if want_previous else []
    return PageSlice(ids, len(order), offset, size, previous)


def _severity_record(code: int) -> dict[str, Any]:
    """A severity as a top-level JSON:API resource (the object incidents nest under data)."""
    return severity_object(code)["data"]


def _meta(request: ListRequest, page: PageSlice) -> dict[str, Any]:
    """Paging meta; page numbers are null on a cursor page, which has no fixed number."""
    total_pages = math.ceil(page.total / page.size)
    number = request.page.number
    by_number = request.cursor is None
    meta: dict[str, Any] = {
        "current_page": number if by_number else None,
        "next_page": number + 1 if by_number and number < total_pages else None,
        "prev_page": number - 1 if by_number and number > 1 else None,
        "total_count": page.total,
        "total_pages": total_pages,
    }
    if request.cursor_paging:
        meta["next_cursor"] = page.next_cursor
    return meta


def _links(host: str, path: str, request: ListRequest, page: PageSlice) -> dict[str, str | None]:
    """Absolute links to ``/v1/<path>`` that keep every other query parameter.

    By page number they replace ``page[number]``; on a cursor page ``next`` carries
    ``page[after]`` and ``prev``/``last`` are null (a cursor cannot jump backwards).
    """
    base = f"http://{host}/v1/{path}"
    paging = ("page[number]", "page[after]")
    kept = [(k, v) for k, values in request.params.items() if k not in paging for v in values]

    def link(*first: tuple[str, str]) -> str:
        query = urlencode([*first, *kept], quote_via=quote, safe="[]")
        return f"{base}?{query}" if query else base

    if request.cursor is not None:
        after = _last_value(request.params, "page[after]")
        return {
            "self": link(("page[after]", after)),
            "first": link(),
            "prev": None,
            "next": link(("page[after]", page.next_cursor)) if page.next_cursor else None,
            "last": None,
        }
    number = request.page.number
    total_pages = math.ceil(page.total / page.size)

    def numbered(n: int) -> str:
        return link(("page[number]", str(n)))

    return {
        "self": numbered(number),
        "first": numbered(1),
        "prev": numbered(number - 1) if number > 1 else None,
        "next": numbered(number + 1) if number < total_pages else None,
        "last": numbered(max(total_pages, 1)),
    }


def _last_value(params: dict[str, list[str]], name: str) -> str:
    values = params.get(name)
    return values[-1] if values else ""


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
        route = route_for(resource)
        name = resource if route is None else route.resource
        slow = app.faults.slow_ms
        if slow > 0 and app.faults.applies_to(name):
            time.sleep(slow / 1000)
        # Count before sending, so a client that reads /_demo/stats right after sees it.
        listed = None if route is None else name
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
        if reply.content_type is not None:
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
