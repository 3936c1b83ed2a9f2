"""Read what one response says about the rate limit, whichever header dialect it speaks.

The vendor documents two families and a client must read both: its docs site sends
`RateLimit-Limit/Remaining/Reset` (Reset in UTC epoch seconds), its current OpenAPI spec
`X-RateLimit-Limit` (`"1000, 1000;window=3600"`), `-Remaining`, `-Used` and `-Reset` (epoch
seconds). The IETF draft says delta-seconds and has since moved to structured `RateLimit` /
`RateLimit-Policy` fields. `Retry-After` outranks them all. `ApiSession` retries and paces
from one `RateLimitInfo`, so a server switching dialect changes nothing there.

Everything here is pure (headers and a clock reading in, numbers out) and a garbage value is
read as absent: a malformed header must never fail a run that would otherwise succeed.
"""

from __future__ import annotations

import email.utils
import math
from collections.abc import Mapping
from dataclasses import dataclass

# A larger reset is a point in time (UTC epoch seconds), a smaller one delta-seconds: epoch
# 1e9 is 2001, and no window lasts 31 years.
EPOCH_SECONDS_FROM = 1_000_000_000


@dataclass(frozen=True)
class RateLimitInfo:
    """The rate-limit hints of one response; None wherever the headers say nothing usable."""

    limit: int | None = None  # requests allowed per window (always >= 1)
    remaining: int | None = None  # requests left in the current window
    reset: float | None = None  # seconds from now until the window frees a slot (>= 0)
    window: float | None = None  # the window's length in seconds, when the server names it
    retry_after: float | None = None  # seconds from now, from `Retry-After` (>= 0)
    # the reset as the server's epoch seconds, when it was sent as one: `WindowMirror` needs
    # the raw value to notice a server clock that runs behind ours
    reset_epoch: float | None = None


def parse_rate_limit(headers: Mapping[str, str], now: float) -> RateLimitInfo:
    """Read `Retry-After` and the first rate-limit family present, at time `now` (epoch s).

    Families, most specific first: structured `RateLimit` (`limit=100, remaining=50,
    reset=30`, or the later draft's `"default";r=50;t=30`), then `RateLimit-*`, then
    `X-RateLimit-*`. One family is read whole rather than field by field: a limit from one
    and a remaining from another may describe different policies. `RateLimit-Policy`
    (`100;w=60`) supplies the window, and the limit when the structured field omits it.
    """
    fields = {str(name).lower(): str(value) for name, value in headers.items()}
    policy_limit, policy_window = parse_quota(fields.get("ratelimit-policy"))
    limit = remaining = reset = window = None
    for family in ("structured", "ratelimit-", "x-ratelimit-"):
        if family == "structured":
            limit, remaining, reset = _structured(fields.get("ratelimit"))
            window = None
        else:
            limit, window = parse_quota(fields.get(family + "limit"))
            remaining = _count(fields.get(family + "remaining"))
            used = _count(fields.get(family + "used"))
            if remaining is None and limit is not None and used is not None:
                remaining = max(0, limit - used)
            reset = _number(fields.get(family + "reset"))
        if limit is not None or remaining is not None or reset is not None:
            if family != "x-ratelimit-":
                limit = policy_limit if limit is None else limit
                window = policy_window if window is None else window
            break
    seconds, epoch = reset_seconds(reset, now)
    return RateLimitInfo(
        limit=limit,
        remaining=remaining,
        reset=seconds,
        window=window,
        retry_after=parse_retry_after(fields.get("retry-after"), now),
        reset_epoch=epoch,
    )


def reset_seconds(value: float | None, now: float) -> tuple[float | None, float | None]:
    """(seconds from `now`, epoch or None) of a reset value: epoch seconds, or delta if small.

    An epoch already past reads as 0 s: the server says the slot is free.
    """
    if value is None:
        return None, None
    if value > EPOCH_SECONDS_FROM:
        return max(0.0, value - now), value
    return value, None


def parse_retry_after(value: str | None, now: float) -> float | None:
    """`Retry-After` as seconds from `now`: delta-seconds or an HTTP date; else None."""
    seconds = _number(value)
    if seconds is not None:
        return seconds
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_tz(value.strip())
        if parsed is None:
            return None
        return max(0.0, email.utils.mktime_tz(parsed) - now)
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def parse_quota(value: str | None) -> tuple[int | None, float | None]:
    """(limit, window seconds) of a limit or policy field; None for what it does not say.

    Reads `1000`, `1000;w=3600`, `"1000, 1000;window=3600"` (the current limit, then the
    policies behind it) and `"default";q=100;w=60`. The limit is the first quota; the window
    is the first one named for that quota.
    """
    limit: int | None = None
    window: float | None = None
    for item in _unquote(value or "").split(","):
        head, *params = item.split(";")
        named = _params(params)
        quota = _count(head)
        if quota is None:
            quota = _count(named.get("q"))
        if quota is not None and quota < 1:
            quota = None  # a limit of 0 paces nothing: treat as absent
        span = _number(named.get("w", named.get("window")))
        if limit is None:
            limit = quota
        if window is None and span and (quota is None or quota == limit):
            window = span
    return limit, window


def _structured(value: str | None) -> tuple[int | None, int | None, float | None]:
    """(limit, remaining, reset) of a structured `RateLimit` field, either draft's syntax."""
    named: dict[str, str] = {}
    for item in _unquote(value or "").split(","):
        for key, text in _params(item.split(";")).items():
            named.setdefault(key, text)
    limit = _count(named.get("limit"))
    remaining = _count(named.get("remaining", named.get("r")))
    reset = _number(named.get("reset", named.get("t")))
    return (limit if limit else None), remaining, reset


def _params(parts: list[str]) -> dict[str, str]:
    """`key=value` parts as a dict with lower-case keys; parts without `=` are skipped."""
    named: dict[str, str] = {}
    for part in parts:
        key, sep, text = part.partition("=")
        if sep:
            named.setdefault(key.strip().lower(), text.strip())
    return named


def _unquote(text: str) -> str:
    return text.strip().strip('"').strip()


def _number(text: str | None) -> float | None:
    """A finite, non-negative number, or None (absent, garbage, nan, inf, negative)."""
    if text is None:
        return None
    try:
        value = float(_unquote(text))
    except ValueError:
        return None
    return value if math.isfinite(value) and value >= 0 else None


def _count(text: str | None) -> int | None:
    value = _number(text)
    return None if value is None else int(value)
