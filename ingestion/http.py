"""The HTTP session the REST API source talks through: retries, rate limits, throttling, auth.

dlt's default client retries 429 and 5xx, but it ignores `RateLimit-Reset` (all the reference
API sends with a 429), does not slow down before the limit, and would follow a `links.next`
to any host with the bearer token attached. This session does those three things and counts
what happened, so the end-of-run summary can report pages, retries and 429s.
"""

from __future__ import annotations

import email.utils
import math
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import orjson
import requests
from requests.hooks import dispatch_hook

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
# After a mirrored slot frees, wait this much longer: latency jitter between the request
# leaving the window and the one taking its place. 0.5% of the window costs 0.5% of the rate.
SLOT_MARGIN_MIN_S = 0.05
SLOT_MARGIN_SHARE = 0.005
# Jitter the margin may grow to (a 429 doubles it; bounds that disagree by more widen it).
# Past this, waiting for `RateLimit-Reset` (up to 1 s late) is as good, and simpler.
SLOT_JITTER_MAX_S = 0.5
EPOCH_SECONDS_FROM = 1_000_000_000  # a larger RateLimit-Reset is a time, not delta-seconds


class ApiError(Exception):
    """A failure talking to the API, with a message meant for the person running the ELT."""


class ApiAuthError(ApiError):
    """The API refused the token (401/403): retrying cannot help."""


class ForeignHostError(ApiError):
    """A request (usually a `links.next`) pointed away from the configured API host."""


@dataclass
class RetryPolicy:
    """How hard to try. Defaults are the seed's: 2 retries (3 attempts), backoff factor 5."""

    max_attempts: int = 3
    backoff_factor: float = 5.0
    max_delay: float = 60.0
    timeout: float = 60.0
    throttle: bool = True

    def backoff(self, attempt: int) -> float:
        """Exponential wait before retry number `attempt` (1-based): factor * 2**(attempt-1)."""
        return min(self.max_delay, self.backoff_factor * 2 ** (attempt - 1))


@dataclass
class HttpStats:
    """Counters of one run; thread-safe enough for dlt's (single-threaded) extract."""

    requests: Counter = field(default_factory=Counter)  # by path
    statuses: Counter = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0

    def as_dict(self) -> dict:
        return {
            "requests": dict(self.requests),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "waited_seconds": round(self.waited_seconds, 3),
        }


def retry_after_seconds(
    response: requests.Response, now: float | None = None, use_reset: bool = True
) -> float | None:
    """The server's own hint of when to come back, if it gives one.

    `Retry-After` (seconds or an HTTP date) wins; otherwise, for a 429 (`use_reset`),
    `RateLimit-Reset`, which the reference API sends as UTC epoch seconds (small values are
    read as delta-seconds, as in the IETF RateLimit draft).
    """
    now = time.time() if now is None else now
    header = response.headers.get("Retry-After")
    if header:
        header = header.strip()
        if header.isdigit():
            return float(header)
        parsed = email.utils.parsedate_tz(header)
        if parsed is not None:
            return max(0.0, email.utils.mktime_tz(parsed) - now)
    return seconds_until_reset(response, now) if use_reset else None


def _decode_envelope(response: requests.Response, path: str) -> None:
    """Parse the body once (orjson) and insist on the JSON:API `data` array.

    `Response.json` (simplejson here) was a quarter of extract time. A 200 without `data`
    would otherwise read as an empty last page: the run would "succeed" and the scd2
    dashboards on the unread pages would be retired as deleted.
    """
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise ApiError(
            f"the API answered {path} with a body that is not valid JSON (truncated or HTML):"
            " nothing from this run was loaded; rerun, and check base_url if it persists"
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ApiError(
            f"the API answered {path} without a JSON:API `data` array: nothing from this run"
            " was loaded; rerun, and report it to the API's owner if it persists"
        )
    response.json = lambda **_: body  # type: ignore[method-assign]


def seconds_until_reset(response: requests.Response, now: float) -> float | None:
    """Seconds until `RateLimit-Reset`: epoch seconds, or delta-seconds when small."""
    reset = _header_float(response, "RateLimit-Reset")
    if reset is None:
        return None
    return max(0.0, reset - now) if reset > EPOCH_SECONDS_FROM else max(0.0, reset)


def _header_float(response: requests.Response, name: str) -> float | None:
    try:
        return float(response.headers[name])
    except (KeyError, ValueError):
        return None


class WindowMirror:
    """The server's sliding window, rebuilt from our own send times.

    Waiting for `RateLimit-Reset` (whole seconds, rounded up) loses up to a second per
    window, 10% of a 10 s window. But when we are the token's only client, the server's
    window holds our latest `limit - remaining` sends, so each answer bounds the window W
    in our own clock, whatever the offset to the server's: the oldest send in it went less
    than W before the one just answered, the send before that at least W before (both give
    or take latency jitter). Those bounds need a slot to have freed; until then
    `RateLimit-Reset` minus the oldest send bounds W from above, but read against our clock:
    it is dropped once it disagrees with the rest or a 429 follows it, so a server clock
    behind ours cannot keep making us early. A full window then waits until our oldest send
    in it + W's upper bound + a margin for jitter.

    The model assumes the server counted every answer but a 429. A second client on the
    token breaks it: its requests push the bounds apart, and past `SLOT_JITTER_MAX_S` the
    mirror gives up for the session (`ApiSession` then waits for `RateLimit-Reset`).
    """

    def __init__(self) -> None:
        self.limit: int | None = None
        self.sends: deque[float] = deque()  # counted sends, oldest first: limit + 1 at most
        self.low = 0.0  # W is above this ...
        self.high = math.inf  # ... and at most this (both from `RateLimit-Remaining`)
        self.reset_high = math.inf  # W + the server clock's lead, at most (`RateLimit-Reset`)
        self.trust_reset = True  # until it disagrees with `low` or a 429 shows it early
        self.jitter = SLOT_MARGIN_MIN_S  # latency jitter allowed for: grows on 429s
        self.failed = False  # sticky: bounds far apart (another client on the token?)

    @property
    def upper(self) -> float:
        """The tightest trusted upper bound on W (inf while there is none)."""
        return min(self.high, self.reset_high) if self.trust_reset else self.high

    @property
    def margin(self) -> float:
        """How long after W's upper bound to send: the jitter allowance, at least 0.5% of W."""
        bound = self.upper
        return max(self.jitter, SLOT_MARGIN_SHARE * bound) if bound < math.inf else self.jitter

    def forget(self) -> None:
        """Start over: a send went unanswered, so whether the server counted it is unknown."""
        self.sends.clear()
        self.low, self.high, self.reset_high = 0.0, math.inf, math.inf

    def observe(
        self, sent: float, status: int, limit: int, remaining: int, reset: float | None
    ) -> None:
        """Narrow W with one answer to the request sent at `sent` (our clock).

        `reset` is `RateLimit-Reset` as epoch seconds, None when absent or in delta-seconds.
        """
        if limit != self.limit:
            self.limit = limit
            self.forget()
        if status == 429:
            # not counted. If we timed it, jitter beat the margin, or the server's clock is
            # behind ours and the reset evidence made us early
            if self.upper < math.inf:
                self._widen(2 * self.jitter)
            self.trust_reset = False
        else:
            self.sends.append(sent)
            if len(self.sends) > limit + 1:
                self.sends.popleft()
        in_window = limit - remaining
        if in_window < 1 or in_window > len(self.sends):
            return  # sends from before we started (or another client's) are in the window
        oldest = self.sends[-in_window]
        self.low = max(self.low, sent - oldest)
        if in_window < len(self.sends):  # the newest send that has left the window
            self.high = min(self.high, sent - self.sends[-in_window - 1])
        if reset is not None:
            self.reset_high = min(self.reset_high, reset - oldest)
        if self.reset_high < self.low - self.margin:
            self.trust_reset = False
        if self.low > self.high + self.margin:  # latency jitter, or another client
            self._widen(self.low - self.high)

    def _widen(self, jitter: float) -> None:
        """Allow more latency jitter, or give up when it is more than a reset wait costs."""
        self.jitter = max(self.jitter, jitter)
        if self.jitter > SLOT_JITTER_MAX_S:
            self.failed = True

    def next_slot(self, remaining: int) -> float | None:
        """When the next request may go: 0 = now; None = ask the headers' reset instead."""
        if self.failed or self.limit is None or self.upper == math.inf:
            return None
        if remaining > 0:
            return 0.0
        if len(self.sends) < self.limit:
            return None
        return self.sends[-self.limit] + self.upper + self.margin


class ApiSession(requests.Session):
    """A `requests.Session` that retries, waits on rate limits and guards the token.

    dlt's `RESTClient` calls `send()` once per page; everything here happens inside that
    call, so the REST source config stays pure data.
    """

    def __init__(
        self,
        allowed_base_url: str,
        policy: RetryPolicy | None = None,
        sleep=time.sleep,
        clock=time.time,
    ) -> None:
        super().__init__()
        parts = urlsplit(allowed_base_url)
        self.allowed_origin = (parts.scheme, parts.netloc)
        self.policy = policy or RetryPolicy()
        self.stats = HttpStats()
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self._next_slot = 0.0  # earliest time the throttle lets the next request go
        self._window = WindowMirror()

    # -- the one entry point dlt uses --------------------------------------------------------
    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        self._check_origin(request.url)
        kwargs.setdefault("timeout", self.policy.timeout)
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.policy.timeout
        hooks = request.hooks
        request.hooks = {"response": []}  # run the caller's hooks once, on the final answer
        path = urlsplit(request.url).path
        attempt = 0
        while True:
            attempt += 1
            self._throttle()
            self.stats.requests[path] += 1
            sent = self._clock()
            try:
                response = super().send(request, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                with self._lock:
                    self._window.forget()
                if attempt >= self.policy.max_attempts:
                    raise ApiError(_connection_message(request.url, exc)) from None
                self._wait(self.policy.backoff(attempt))
                continue
            self.stats.statuses[response.status_code] += 1
            self._observe_rate_limit(response, sent)
            if response.status_code in AUTH_STATUSES:
                raise ApiAuthError(
                    f"the API rejected the token (HTTP {response.status_code} from {path}):"
                    " set api_key (env API_KEY)"
                )
            if response.status_code not in RETRY_STATUSES:
                break
            if response.status_code == 429:
                self.stats.rate_limited += 1
            if attempt >= self.policy.max_attempts:
                raise ApiError(_give_up_message(response, path, attempt))
            # RateLimit-Reset speaks for the rate limit only: a 5xx backs off as configured
            hint = retry_after_seconds(
                response, self._clock(), use_reset=response.status_code == 429
            )
            self._wait(self.policy.backoff(attempt) if hint is None else hint)
        request.hooks = hooks
        if response.ok:
            _decode_envelope(response, path)
        return dispatch_hook("response", hooks, response, **kwargs)

    # -- helpers -------------------------------------------------------------------------------
    def _check_origin(self, url: str) -> None:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self.allowed_origin:
            raise ForeignHostError(
                f"refusing to send the API token to {parts.scheme}://{parts.netloc}: it is not"
                " the configured base_url host (a pagination link pointed elsewhere)"
            )

    def _wait(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.policy.max_delay))
        self.stats.retries += 1
        self.stats.waited_seconds += seconds
        if seconds:
            self._sleep(seconds)

    def _observe_rate_limit(self, response: requests.Response, sent: float) -> None:
        """Use the budget, then wait until a slot frees instead of running into 429s.

        Requests go out at full speed while `RateLimit-Remaining` is above 0. With the
        window mirrored (`WindowMirror`), a full window waits until our oldest request in it
        leaves, to within a margin. Until the mirror has seen a slot free, or when headers are
        missing or it disagrees with the server, the rule is the earlier one: stop at a
        small reserve and wait until `RateLimit-Reset`; the reserve absorbs the reset time's
        rounding to whole seconds. 429s are still retried by `send` as before.
        """
        if not self.policy.throttle:
            return
        now = self._clock()
        remaining = _header_float(response, "RateLimit-Remaining")
        limit = _header_float(response, "RateLimit-Limit")
        wait = seconds_until_reset(response, now)
        with self._lock:
            if remaining is None or limit is None:
                self._window.forget()
                slot = None
            else:
                reset = _header_float(response, "RateLimit-Reset")
                epoch = reset if reset is not None and reset > EPOCH_SECONDS_FROM else None
                self._window.observe(sent, response.status_code, int(limit), int(remaining), epoch)
                slot = self._window.next_slot(int(remaining))
            if slot is not None:
                self._next_slot = min(slot, now + self.policy.max_delay)
                return
            if remaining is None or wait is None:
                return
            reserve = max(1.0, 0.02 * (limit or remaining))
            if remaining > reserve:
                self._next_slot = 0.0
            else:
                self._next_slot = now + min(wait, self.policy.max_delay)

    def _throttle(self) -> None:
        with self._lock:
            delay = self._next_slot - self._clock()
        if delay > 0:
            self.stats.waited_seconds += delay
            self._sleep(delay)


def _connection_message(url: str, exc: Exception) -> str:
    parts = urlsplit(url)
    kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
    return (
        f"the API at {parts.scheme}://{parts.netloc} {kind} after all retries:"
        " check base_url and the network, then rerun"
    )


def _give_up_message(response: requests.Response, path: str, attempts: int) -> str:
    if response.status_code == 429:
        return (
            f"the API kept rate-limiting {path} (HTTP 429) after {attempts} attempts:"
            " wait a few minutes or raise runtime.request_max_attempts, then rerun"
        )
    return (
        f"the API answered HTTP {response.status_code} on {path} after {attempts} attempts:"
        " the server is failing, rerun later"
    )
