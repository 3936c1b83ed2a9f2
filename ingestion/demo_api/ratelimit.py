"""Sliding-window rate limiting per token, with the real API's response headers.

The reference API allows about 3000 GETs per key in any 60-second window and reports
``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset`` (UTC epoch seconds) on
every response; a 429 carries no ``Retry-After`` unless asked for, which is what clients
must cope with.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_LIMIT = 3000
DEFAULT_WINDOW_S = 60.0


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int  # when the window frees its next slot
    retry_after_s: int

    def headers(self, with_retry_after: bool) -> dict[str, str]:
        headers = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.reset_epoch),
        }
        if with_retry_after and not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers


class SlidingWindowLimiter:
    """At most ``limit`` allowed requests per key in any trailing ``window_s`` seconds.

    Rejected requests are not counted, so a client that waits for ``RateLimit-Reset`` gets in.
    """

    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window_s: float = DEFAULT_WINDOW_S,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        with self._lock:
            self._hits.clear()

    def _decision(self, hits: deque[float], now: float, allowed: bool) -> Decision:
        oldest = hits[0] if hits else now
        frees_at = oldest + self.window_s
        return Decision(
            allowed=allowed,
            limit=self.limit,
            remaining=max(0, self.limit - len(hits)),
            reset_epoch=math.ceil(frees_at),
            retry_after_s=max(1, math.ceil(frees_at - now)),
        )

    def hit(self, key: str) -> Decision:
        """Count one request for ``key`` if the window has room; report the headers."""
        with self._lock:
            now = self._clock()
            hits = self._hits.setdefault(key, deque())
            cutoff = now - self.window_s
            while hits and hits[0] <= cutoff:
                hits.popleft()
            if len(hits) >= self.limit:
                return self._decision(hits, now, allowed=False)
            hits.append(now)
            return self._decision(hits, now, allowed=True)

    def peek(self, key: str) -> Decision:
        """The headers for ``key`` without counting a request (used for 401 answers)."""
        with self._lock:
            now = self._clock()
            hits = self._hits.get(key, deque())
            live = deque(t for t in hits if t > now - self.window_s)
            return self._decision(live, now, allowed=True)
