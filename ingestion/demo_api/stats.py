"""Request counters the tests read back through ``GET /_demo/stats``.

Tests assert on what the client did (how many pages, which cursors it sent, how often it
was throttled), not only on what it loaded; these counters are that evidence.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from typing import Any
from urllib.parse import unquote


class RequestStats:
    """Counts of /v1 requests by path and status, pages served, and the query strings sent.

    Query strings are kept percent-decoded (``page[size]=5``) so tests can read them. Each
    request's answer time and status are logged too: a client's pacing against the rate
    limit can only be judged from when its requests reached the server, not from its own
    timings.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._by_path: Counter[str] = Counter()
            self._by_status: Counter[int] = Counter()
            self._pages: Counter[str] = Counter()
            self._queries: defaultdict[str, list[str]] = defaultdict(list)
            self._log: list[tuple[float, int]] = []

    def record(self, path: str, status: int, resource: str | None, query: str, page: bool) -> None:
        """One finished /v1 request; ``page`` is True for a 200 list response.

        The logged time is when the answer was ready: a few milliseconds after the rate
        limiter counted the request, about the same few for every page.
        """
        answered = time.time()
        with self._lock:
            self._log.append((answered, status))
            self._by_path[path] += 1
            self._by_status[status] += 1
            if resource is not None:
                self._queries[resource].append(unquote(query))
                if page:
                    self._pages[resource] += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests_total": sum(self._by_path.values()),
                "requests_by_path": dict(self._by_path),
                "requests_by_status": {str(k): v for k, v in sorted(self._by_status.items())},
                "rate_limited": self._by_status.get(429, 0),
                "pages_served": {
                    "incidents": self._pages["incidents"],
                    "dashboards": self._pages["dashboards"],
                    "total": sum(self._pages.values()),
                    "by_resource": dict(self._pages),
                },
                "incident_queries": list(self._queries["incidents"]),
                "dashboard_queries": list(self._queries["dashboards"]),
                # [epoch seconds, status] per /v1 request, in the order they were answered
                "request_log": [[round(t, 6), status] for t, status in self._log],
            }
