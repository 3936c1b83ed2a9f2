"""Timestamps as integer epoch milliseconds, and their ISO-8601 text form.

Records keep timestamps as ints in compact arrays; they become text only when a page is
rendered. The data's time range is fixed (not the wall clock) so a seed always yields the
same bytes.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

#: Incidents are created over the first half of 2026 (UTC).
DATA_START_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
DATA_END_MS = 1_782_777_600_000  # 2026-06-30T00:00:00Z
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


def batch_time_ms(batch: int) -> int:
    """Start of change batch ``batch`` (1-based): one hour per batch after the data's end."""
    return DATA_END_MS + batch * HOUR_MS


_DAY_PREFIX: dict[int, str] = {}


def iso_ms(ms: int) -> str:
    """Format epoch milliseconds as ``2026-03-01T12:34:56.789Z`` (hot path: cached dates)."""
    day, rest = divmod(ms, DAY_MS)
    prefix = _DAY_PREFIX.get(day)
    if prefix is None:
        t = time.gmtime(day * 86_400)
        prefix = _DAY_PREFIX[day] = f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
    seconds, millis = divmod(rest, 1000)
    minutes, sec = divmod(seconds, 60)
    hours, minute = divmod(minutes, 60)
    return f"{prefix}{hours:02d}:{minute:02d}:{sec:02d}.{millis:03d}Z"


def iso_or_none(ms: int) -> str | None:
    """Like :func:`iso_ms`, with negative values (the arrays' null marker) as None."""
    return None if ms < 0 else iso_ms(ms)


def parse_iso_us(text: str) -> int:
    """Parse an ISO-8601 timestamp to epoch microseconds (UTC).

    Accepts ``Z``, ``+00:00`` and other offsets, fractions of any precision and plain dates;
    naive values are taken as UTC. A ``+`` that arrived as a space (an unencoded query
    string) is repaired. Raises ValueError on anything else.
    """
    value = text.strip()
    if " " in value and "T" in value:
        head, _, tail = value.rpartition(" ")
        value = f"{head}+{tail}"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    delta = parsed - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def epoch_seconds_from_iso(text: str) -> int:
    """Whole epoch seconds of an ISO timestamp (used by the retype fault)."""
    return parse_iso_us(text) // 1_000_000
