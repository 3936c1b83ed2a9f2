"""Sliding-window rate limiting per token, with the real API's response headers.

The reference API allows about 3000 GETs per key in any 60-second window. Its docs and its
current spec disagree on how it says so, and a client must cope with either, so the headers
come in dialects (``HEADER_DIALECTS``):

* ``ietf`` (the docs, the default): ``RateLimit-Limit``, ``RateLimit-Remaining``,
  ``RateLimit-Reset`` as UTC epoch seconds;
* ``ietf-delta``: the same names with ``RateLimit-Reset`` as seconds from now until a slot
  frees, as the IETF draft defines it;
* ``x`` (the current spec): ``X-RateLimit-Limit`` (``"3000, 3000;window=60"``),
  ``X-RateLimit-Remaining``, ``X-RateLimit-Used`` and ``X-RateLimit-Reset`` (epoch seconds);
* ``none``: no rate-limit headers at all.

A 429 carries no ``Retry-After`` unless asked for (in any dialect), which is what clients
must cope with.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace

DEFAULT_LIMIT = 3000
DEFAULT_WINDOW_S = 60.0
HEADER_DIALECTS = ("ietf", "ietf-delta", "x", "none")
#: 429 body styles: JSON:API ``errors`` (default), the spec's plain object, or nothing.
BODY_STYLES = ("jsonapi", "plain", "empty")


def check_choice(name: str, value: str, choices: tuple[str, ...]) -> str:
    """``value`` if it is one of ``choices`` (``_`` read as ``-``), else ValueError."""
    normal = str(value).replace("_", "-")
    if normal not in choices:
        raise ValueError(f"{name} must be one of {', '.join(choices)}; got {value!r}")
    return normal


@dataclass(frozen=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_epoch: int  # when the window frees its next slot
    retry_after_s: int
    used: int = 0  # requests counted in the current window
    reset_delta_s: int = 0  # seconds from now until the window frees its next slot
    window_s: float = DEFAULT_WINDOW_S

    def exhausted(self) -> Decision:
        """The same decision reporting a full window (for a forced 429)."""
        retry = max(1, math.ceil(self.window_s))
        return replace(self, allowed=False, remaining=0, used=self.limit, retry_after_s=retry)

    def headers(self, with_retry_after: bool, dialect: str = "ietf") -> dict[str, str]:
        """Response headers in ``dialect`` (see the module docstring)."""
        headers = self._rate_headers(dialect)
        if with_retry_after and not self.allowed:
            headers["Retry-After"] = str(self.retry_after_s)
        return headers

    def _rate_headers(self, dialect: str) -> dict[str, str]:
        if dialect == "none":
            return {}
        if dialect == "x":
            window = max(1, math.ceil(self.window_s))
            return {
                "X-RateLimit-Limit": f"{self.limit}, {self.limit};window={window}",
                "X-RateLimit-Remaining": str(self.remaining),
                "X-RateLimit-Used": str(self.used),
                "X-RateLimit-Reset": str(self.reset_epoch),
            }
        reset = self.reset_delta_s if dialect == "ietf-delta" else self.reset_epoch
        return {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(reset),
        }


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
            used=min(len(hits), self.limit),
            reset_delta_s=max(0, math.ceil(frees_at - now)),
            window_s=self.window_s,
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
