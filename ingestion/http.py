"""The HTTP session the REST API source talks through: retries, rate limits, throttling, auth.

dlt's default client retries 429 and 5xx, but it ignores the rate-limit reset headers (all the
vendor's API sends with a 429, in one of two dialects: `ingestion.rate_limits`), does not
slow down before the limit, would follow a `links.next` to any host with the bearer token
attached, and reports any other 4xx as a long `HTTPError` line with the full URL. This
session does those things and counts what happened, so the end-of-run summary can report
pages, retries and 429s.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import orjson
import requests
from requests.hooks import dispatch_hook

from ingestion.rate_limits import RateLimitInfo, parse_rate_limit

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
AUTH_STATUSES = frozenset({401, 403})
# After a mirrored slot frees, wait this much longer: latency jitter between the request
# leaving the window and the one taking its place. 0.5% of the window costs 0.5% of the rate.
SLOT_MARGIN_MIN_S = 0.05
SLOT_MARGIN_SHARE = 0.005
# Jitter the margin may grow to (a 429 doubles it; bounds that disagree by more widen it).
# Past this, waiting for `RateLimit-Reset` (up to 1 s late) is as good, and simpler.
SLOT_JITTER_MAX_S = 0.5
# Every ApiError message is one line of at most this many characters: it ends up in the
# terminal, the run ledger and alerts. Paths, hosts and the API's own reason are clipped.
MESSAGE_MAX_CHARS = 300
REASON_MAX_CHARS = 120  # the API's own explanation of a refusal, as quoted in a message
AUTH_REASON_MAX_CHARS = 80  # ... of a 401/403: quoted only when this short
PATH_MAX_CHARS = 60
ORIGIN_MAX_CHARS = 100
PARAMETER_MAX_CHARS = 30  # the parameter a JSON:API error names (`source.parameter`)
REASON_MIN_CHARS = 12  # a reason squeezed shorter than this by a long path is left out
STATUS_PHRASES = frozenset(status.phrase.lower() for status in HTTPStatus)  # "bad request"


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

    requests: Counter = field(default_factory=Counter)  # by path, retries included
    statuses: Counter = field(default_factory=Counter)
    retries: int = 0
    rate_limited: int = 0
    waited_seconds: float = 0.0
    retries_by_path: Counter = field(default_factory=Counter)  # requests sent again
    rate_limited_by_path: Counter = field(default_factory=Counter)  # 429s answered

    def as_dict(self) -> dict:
        return {
            "requests": dict(self.requests),
            "statuses": {str(k): v for k, v in self.statuses.items()},
            "retries": self.retries,
            "rate_limited": self.rate_limited,
            "waited_seconds": round(self.waited_seconds, 3),
            "retries_by_path": dict(self.retries_by_path),
            "rate_limited_by_path": dict(self.rate_limited_by_path),
        }


def retry_hint(info: RateLimitInfo, rate_limited: bool) -> float | None:
    """The server's own hint of when to come back, if it gives one.

    `Retry-After` (any status) wins; for a 429 (`rate_limited`), the reset of whichever
    rate-limit family the response carries. A 5xx ignores the reset: the vendor sends it on
    every response, and it says when a rate-limit slot frees, not when an outage ends.
    """
    if info.retry_after is not None:
        return info.retry_after
    return info.reset if rate_limited else None


def retry_after_seconds(
    response: requests.Response, now: float | None = None, use_reset: bool = True
) -> float | None:
    """`retry_hint` of a response's headers at `now` (default: the current time)."""
    now = time.time() if now is None else now
    return retry_hint(parse_rate_limit(response.headers, now), use_reset)


def _decode_envelope(response: requests.Response, path: str) -> None:
    """Parse the body once (orjson) and insist on the JSON:API `data` array.

    `Response.json` (simplejson here) was a quarter of extract time. A 200 without `data`
    would otherwise read as an empty last page: the run would "succeed" and the scd2
    dashboards on the unread pages would be retired as deleted.
    """
    shown = clip_middle(path, PATH_MAX_CHARS)
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        raise ApiError(
            f"the API answered {shown} with a body that is not valid JSON (truncated or HTML):"
            " nothing from this run was loaded; rerun, and check base_url if it persists"
        ) from None
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ApiError(
            f"the API answered {shown} without a JSON:API `data` array: nothing from this run"
            " was loaded; rerun, and report it to the API's owner if it persists"
        )
    response.json = lambda **_: body  # type: ignore[method-assign]


class WindowMirror:
    """The server's sliding window, rebuilt from our own send times.

    Waiting for the reset header (`RateLimit-Reset` or `X-RateLimit-Reset`: whole seconds,
    rounded up) loses up to a second per window, 10% of a 10 s window. But when we are the
    token's only client, the server's window holds our latest `limit - remaining` sends, so
    each answer bounds the window W in our own clock, whatever the offset to the server's:
    the oldest send in it went less than W before the one just answered, the send before
    that at least W before (both give or take latency jitter). Those bounds need a slot to
    have freed; until then an epoch reset minus the oldest send bounds W from above, but
    read against our clock: it is dropped once it disagrees with the rest or a 429 follows
    it, so a server clock behind ours cannot keep making us early. A window the server names
    (`X-RateLimit-Limit: 1000, 1000;window=3600`, `RateLimit-Policy: 100;w=60`) bounds W
    from above too. A full window then waits until our oldest send in it + W's upper bound
    + a margin for jitter.

    The model assumes the server counted every answer but a 429. A second client on the
    token breaks it: its requests push the bounds apart, and past `SLOT_JITTER_MAX_S` the
    mirror gives up for the session (`ApiSession` then waits for the reset).
    """

    def __init__(self) -> None:
        self.limit: int | None = None
        self.sends: deque[float] = deque()  # counted sends, oldest first: limit + 1 at most
        self.low = 0.0  # W is above this ...
        self.high = math.inf  # ... and at most this (from `remaining`, or the named window)
        self.reset_high = math.inf  # W + the server clock's lead, at most (an epoch reset)
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
        self,
        sent: float,
        status: int,
        limit: int,
        remaining: int,
        reset: float | None,
        window: float | None = None,
    ) -> None:
        """Narrow W with one answer to the request sent at `sent` (our clock).

        `reset` is the reset header as epoch seconds, None when absent or in delta-seconds;
        `window` is W as the server names it, if it does.
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
        if window is not None:  # like the reset: only once our sends explain the window
            self.high = min(self.high, window)
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
                self.stats.retries_by_path[path] += 1
                self._wait(self.policy.backoff(attempt))
                continue
            status = response.status_code
            self.stats.statuses[status] += 1
            info = parse_rate_limit(response.headers, self._clock())
            self._observe_rate_limit(info, status, sent)
            if status in AUTH_STATUSES:
                raise ApiAuthError(auth_message(status, path, _reason(response, request)))
            if 400 <= status < 500 and status not in RETRY_STATUSES:
                error = _error_body(response, request)
                method = request.method or "GET"
                raise ApiError(
                    refusal_message(method, request.url, status, error.reason, error.parameter)
                )
            if status not in RETRY_STATUSES:
                break
            if status == 429:
                self.stats.rate_limited += 1
                self.stats.rate_limited_by_path[path] += 1
            if attempt >= self.policy.max_attempts:
                raise ApiError(_give_up_message(status, path, attempt))
            self.stats.retries_by_path[path] += 1
            hint = retry_hint(info, rate_limited=status == 429)
            self._wait(self.policy.backoff(attempt) if hint is None else hint)
        request.hooks = hooks
        if response.ok:
            _decode_envelope(response, path)
        return dispatch_hook("response", hooks, response, **kwargs)

    # -- helpers -------------------------------------------------------------------------------
    def _check_origin(self, url: str) -> None:
        parts = urlsplit(url)
        if (parts.scheme, parts.netloc) != self.allowed_origin:
            origin = clip_middle(f"{parts.scheme}://{_host(parts.netloc)}", ORIGIN_MAX_CHARS)
            raise ForeignHostError(
                f"refusing to send the API token to {origin}: it is not"
                " the configured base_url host (a pagination link pointed elsewhere)"
            )

    def _wait(self, seconds: float) -> None:
        seconds = max(0.0, min(seconds, self.policy.max_delay))
        self.stats.retries += 1
        self.stats.waited_seconds += seconds
        if seconds:
            self._sleep(seconds)

    def _observe_rate_limit(self, info: RateLimitInfo, status: int, sent: float) -> None:
        """Use the budget, then wait until a slot frees instead of running into 429s.

        Requests go out at full speed while the remaining budget is above 0. With the
        window mirrored (`WindowMirror`), a full window waits until our oldest request in it
        leaves, to within a margin. Until the mirror has seen a slot free, or when headers are
        missing or it disagrees with the server, the rule is the earlier one: stop at a
        small reserve and wait until the reset; the reserve absorbs the reset time's
        rounding to whole seconds. Any header family does (`parse_rate_limit`); with none,
        nothing is paced and 429s are left to `send`'s retries.
        """
        if not self.policy.throttle:
            return
        now = self._clock()
        limit, remaining, wait = info.limit, info.remaining, info.reset
        with self._lock:
            if remaining is None or limit is None:
                self._window.forget()
                slot = None
            else:
                self._window.observe(sent, status, limit, remaining, info.reset_epoch, info.window)
                slot = self._window.next_slot(remaining)
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


# -- messages: one line each, at most MESSAGE_MAX_CHARS, never a body or a token ------------


def clip_middle(text: str, limit: int) -> str:
    """`text` cut to `limit` characters by eliding its middle: both ends of a path tell."""
    if len(text) <= limit:
        return text
    head = (limit - 3) // 2
    return f"{text[:head]}...{text[len(text) - (limit - 3 - head) :]}"


@dataclass(frozen=True)
class ErrorBody:
    """What an error body says, as far as a message may quote it (see `read_error_body`)."""

    reason: str | None = None  # one line, secrets masked, not yet cut to a length
    parameter: str | None = None  # the request parameter (or body pointer) it blames


def read_error_body(content: bytes, secrets: tuple[str, ...] = ()) -> ErrorBody:
    """The API's own reason for an error, and the parameter it blames, from a JSON body.

    Reads the first JSON:API error (`title` and `detail`; `source.parameter`, else
    `source.pointer`), a plain `{"error": "..."}` (the vendor's 429), `{"error": {"message":
    ...}}` or `{"message": "..."}`. An HTML page, an empty or non-JSON body yields nothing:
    the body itself is never quoted, only strings the API meant as an explanation, each with
    whitespace collapsed to one line and every one of `secrets` (the token, should the API
    echo it) masked as `***`.
    """
    if not content or len(content) > 1_000_000:
        return ErrorBody()
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return ErrorBody()
    if not isinstance(body, dict):
        return ErrorBody()
    candidates: list[object] = []
    parameter: object = None
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        first = errors[0]
        if isinstance(first, dict):
            candidates.append(_title_and_detail(first.get("title"), first.get("detail")))
            source = first.get("source")
            if isinstance(source, dict):
                parameter = source.get("parameter") or source.get("pointer")
        else:
            candidates.append(first)
    error = body.get("error")
    if isinstance(error, dict):
        candidates += [error.get("message"), error.get("detail")]
    else:
        candidates.append(error)
    candidates.append(body.get("message"))
    reason = next((text for c in candidates if (text := _quotable(c, secrets))), None)
    shown = _quotable(parameter, secrets)
    return ErrorBody(reason, clip_middle(shown, PARAMETER_MAX_CHARS) if shown else None)


def api_reason(
    content: bytes, limit: int = REASON_MAX_CHARS, secrets: tuple[str, ...] = ()
) -> str | None:
    """The API's own one-line reason for an error (`read_error_body`), cut to `limit`
    characters after any secret is masked, so no part of one survives; None if none."""
    reason = read_error_body(content, secrets).reason
    return clip_end(reason, limit) if reason else None


def _title_and_detail(title: object, detail: object) -> object:
    """`title: detail` of a JSON:API error; the title alone says no more than a status
    phrase ("Bad Request") or what the detail already says, so it is then left out."""
    if not isinstance(detail, str) or not detail.strip():
        return title
    if not isinstance(title, str) or not title.strip():
        return detail
    if title.strip().lower() in STATUS_PHRASES or title.strip().lower() in detail.lower():
        return detail
    return f"{title.strip()}: {detail}"


def _quotable(value: object, secrets: tuple[str, ...]) -> str | None:
    """A string of an error body as one line with `secrets` masked; None for anything else."""
    if not isinstance(value, str):
        return None
    text = one_line(value)
    for secret in secrets:
        text = text.replace(secret, "***") if len(secret) >= 4 else text
    return text or None


def one_line(text: str) -> str:
    """Whitespace runs (newlines included) to one space; other control characters dropped."""
    return " ".join("".join(ch for ch in part if ch.isprintable()) for part in text.split())


def clip_end(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _env(key: str) -> str:
    """The environment variable dlt reads for a config key (as `ingestion.settings.env_name`,
    which this module cannot import: settings imports the retry policy from here)."""
    return key.upper().replace(".", "__")


def _setting(key: str) -> str:
    return f"sources.analytics_api.{key} (env {_env(f'sources.analytics_api.{key}')})"


# What to check after a refused request. A clue is the API's reason plus the parameter it
# blames; the first pattern found in it names the setting. Statuses that say the URL itself
# is wrong name base_url, whatever the reason.
PAGE_SIZE_ADVICE = f"check {_setting('page_size')} and rerun"
FILTER_ADVICE = f"check {_setting('initial_updated_at')} or lag_seconds and rerun"
BACKFILL_ADVICE = "check the dates of --backfill FROM TO and rerun"
CURSOR_ADVICE = (
    "a cursor the API issued was refused: rerun, and report it to the API's owner if it persists"
)
BASE_URL_ADVICE = f"check the path and API version in {_setting('base_url')} and rerun"
REQUEST_ADVICE = "check the request settings (page_size, initial_updated_at) and rerun"
CLUE_ADVICE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"page\[size\]|\bpage[ _-]?size\b|\bsize\b", re.IGNORECASE), PAGE_SIZE_ADVICE),
    (re.compile(r"page\[after\]|\bcursor\b", re.IGNORECASE), CURSOR_ADVICE),
    (
        re.compile(r"filter|updated_at|\bdate|timestamp|iso.?8601|\btime\b", re.IGNORECASE),
        FILTER_ADVICE,
    ),
)
STATUS_ADVICE = dict.fromkeys((404, 405, 406, 410, 415), BASE_URL_ADVICE)
# A request with an upper bound on `updated_at` is a backfill: its dates are the filter's.
BACKFILL_PARAM = "filter[updated_at][lte]"


def refusal_advice(status: int, clue: str, params: dict[str, list[str]]) -> str:
    """The setting most likely at fault for a refused request (see `CLUE_ADVICE`)."""
    if status in STATUS_ADVICE:
        return STATUS_ADVICE[status]
    advice = next((advice for pattern, advice in CLUE_ADVICE if pattern.search(clue)), None)
    if advice == FILTER_ADVICE and params.get(BACKFILL_PARAM, [""])[-1].strip():
        return BACKFILL_ADVICE
    return advice or REQUEST_ADVICE


def page_of(params: dict[str, list[str]]) -> str:
    """Which page a request asked for, without quoting any parameter's value but a number:
    `page[number]=N` is page N, `page[after]=<cursor>` a page after a cursor, else page 1."""
    number = params.get("page[number]", [""])[-1].strip()
    if params.get("page[after]", [""])[-1].strip():
        return "a page after cursor"
    if not number:
        return "page 1"
    readable = number.isascii() and number.isdigit() and len(number) <= 12
    return f"page {int(number)}" if readable else "a numbered page"


def refusal_message(
    method: str, url: str, status: int, reason: str | None, parameter: str | None = None
) -> str:
    """A non-retryable 4xx in one line: the request's resource and page, the API's reason
    and the setting to check. `url`'s query string is read for the page, never quoted."""
    parts = urlsplit(url)
    params = parse_qs(parts.query, keep_blank_values=True)
    clue = " ".join(filter(None, (parameter, reason)))
    advice = refusal_advice(status, clue, params)
    where = f"{clip_end(method, 10)} {clip_middle(parts.path, PATH_MAX_CHARS)}"
    status_part = f"HTTP {status}"
    if parameter and parameter not in (reason or ""):
        status_part += f" for {clip_middle(parameter, PARAMETER_MAX_CHARS)}"
    head = f"the API refused {where} on {page_of(params)} ({status_part}"
    tail = f"): {advice}"
    room = min(REASON_MAX_CHARS, MESSAGE_MAX_CHARS - len(head) - len(tail) - 2)
    if reason and room >= REASON_MIN_CHARS:
        head += f": {clip_end(reason, room)}"
    return clip_end(head + tail, MESSAGE_MAX_CHARS)


def auth_message(status: int, path: str, reason: str | None) -> str:
    """401/403: the token is the problem, whatever the reason; quoted only when short."""
    detail = f": {reason}" if reason and len(reason) <= AUTH_REASON_MAX_CHARS else ""
    return (
        f"the API rejected the token (HTTP {status} from"
        f" {clip_middle(path, PATH_MAX_CHARS)}{detail}): set api_key (env API_KEY)"
    )


def _error_body(response: requests.Response, request: requests.PreparedRequest) -> ErrorBody:
    """`read_error_body` of a response, with the bearer token masked should the API echo it."""
    token = (request.headers.get("Authorization") or "").split(" ")[-1]
    return read_error_body(response.content, secrets=(token,))


def _reason(response: requests.Response, request: requests.PreparedRequest) -> str | None:
    """`api_reason` of a response, with the bearer token masked should the API echo it."""
    reason = _error_body(response, request).reason
    return clip_end(reason, REASON_MAX_CHARS) if reason else None


def _host(netloc: str) -> str:
    """`netloc` without any `user:password@` (a URL may carry credentials; a message not)."""
    return netloc.rpartition("@")[2]


def _connection_message(url: str, exc: Exception) -> str:
    parts = urlsplit(url)
    kind = "timed out" if isinstance(exc, requests.Timeout) else "could not connect"
    origin = clip_middle(f"{parts.scheme}://{_host(parts.netloc)}", ORIGIN_MAX_CHARS)
    return (
        f"the API at {origin} {kind} after all retries: check base_url and the network, then rerun"
    )


def _give_up_message(status: int, path: str, attempts: int) -> str:
    shown = clip_middle(path, PATH_MAX_CHARS)
    if status == 429:
        return (
            f"the API kept rate-limiting {shown} (HTTP 429) after {attempts} attempts:"
            " wait a few minutes or raise runtime.request_max_attempts, then rerun"
        )
    return (
        f"the API answered HTTP {status} on {shown} after {attempts} attempts:"
        " the server is failing, rerun later"
    )
