"""Parse list-endpoint query parameters (paging, filters, sort) and reject bad ones.

Bad paging parameters are a client bug worth surfacing, so they get a JSON:API 400 rather
than a silent default. Unknown parameters are ignored, as the real API does.
"""

from __future__ import annotations

from dataclasses import dataclass

from ingestion.demo_api.alerts import ALERT_STATUS_CODE
from ingestion.demo_api.catalog import KIND_CODE, STATUS_CODE
from ingestion.demo_api.cursor import Cursor, decode_cursor
from ingestion.demo_api.ordering import Selection
from ingestion.demo_api.timeutil import parse_iso_us

#: Page size when ``page[size]`` is absent (the real API's default is also small).
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
SORTS = {"updated_at", "-updated_at", "created_at", "-created_at"}
RANGE_FIELDS = ("updated_at", "created_at")
RANGE_OPS = ("gt", "gte", "lt", "lte")


class QueryError(ValueError):
    """A request parameter the API rejects with 400 Bad Request."""

    def __init__(self, title: str, detail: str, parameter: str) -> None:
        super().__init__(detail)
        self.title = title
        self.detail = detail
        self.parameter = parameter


@dataclass(frozen=True)
class PageRequest:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def _last(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def _positive_int(params: dict[str, list[str]], name: str, default: int, maximum: int) -> int:
    raw = _last(params, name)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError:
        raise QueryError(
            "Invalid page parameter", f"{name} must be an integer, got {raw!r}", name
        ) from None
    if value < 1:
        raise QueryError("Invalid page parameter", f"{name} must be at least 1, got {value}", name)
    if value > maximum:
        raise QueryError(
            "Invalid page parameter", f"{name} must be at most {maximum}, got {value}", name
        )
    return value


def parse_page(params: dict[str, list[str]], max_size: int = MAX_PAGE_SIZE) -> PageRequest:
    """``page[number]`` (1-based, default 1) and ``page[size]`` (1..max_size, default 20)."""
    number = _positive_int(params, "page[number]", 1, 10**12)
    size = _positive_int(params, "page[size]", DEFAULT_PAGE_SIZE, max_size)
    return PageRequest(number, size)


def parse_page_after(params: dict[str, list[str]], sort: str) -> Cursor | None:
    """``page[after]`` (a cursor from ``meta.next_cursor``), or None when absent or empty.

    An empty value counts as absent so that a client can send ``page[after]=`` on its first
    request. A cursor issued for another sort names a position in a different order: 400.
    """
    name = "page[after]"
    raw = _last(params, name)
    if raw is None or not raw.strip():
        return None
    try:
        cursor = decode_cursor(raw)
    except ValueError as exc:
        raise QueryError("Invalid page parameter", f"{name} is invalid: {exc}", name) from None
    if cursor.sort != sort:
        detail = f"{name} was issued for sort={cursor.sort}, not sort={sort}"
        raise QueryError("Invalid page parameter", detail, name)
    return cursor


def _codes(params: dict[str, list[str]], name: str, codes: dict[str, int]) -> frozenset[int] | None:
    raw = _last(params, name)
    if raw is None or not raw.strip():
        return None
    # Unknown values match nothing, like filtering on a value no record has.
    return frozenset(codes[v.strip()] for v in raw.split(",") if v.strip() in codes)


def _ms_bound(name: str, raw: str) -> int:
    try:
        return parse_iso_us(raw)
    except ValueError:
        raise QueryError(
            "Invalid filter", f"{name} must be an ISO-8601 timestamp, got {raw!r}", name
        ) from None


def parse_incident_selection(params: dict[str, list[str]]) -> Selection:
    """Filters and sort of ``GET /v1/incidents`` as a :class:`Selection`."""
    return _selection(params, STATUS_CODE, KIND_CODE)


def parse_alert_selection(params: dict[str, list[str]]) -> Selection:
    """Filters and sort of ``GET /v1/alerts``: as for incidents, with the alert statuses
    and no ``filter[kind]`` (alerts have none; the parameter is ignored like any unknown)."""
    return _selection(params, ALERT_STATUS_CODE, None)


def _selection(
    params: dict[str, list[str]], statuses: dict[str, int], kinds: dict[str, int] | None
) -> Selection:
    ranges = []
    for field in RANGE_FIELDS:
        lo: int | None = None
        hi: int | None = None
        for op in RANGE_OPS:
            name = f"filter[{field}][{op}]"
            raw = _last(params, name)
            if raw is None or not raw.strip():
                continue
            us = _ms_bound(name, raw)
            floor_ms, ceil_ms = us // 1000, -(-us // 1000)
            # Turn each operator into a half-open [lo, hi) range of integer milliseconds.
            if op == "gt":
                bound_lo, bound_hi = floor_ms + 1, None
            elif op == "gte":
                bound_lo, bound_hi = ceil_ms, None
            elif op == "lt":
                bound_lo, bound_hi = None, ceil_ms
            else:
                bound_lo, bound_hi = None, floor_ms + 1
            if bound_lo is not None:
                lo = bound_lo if lo is None else max(lo, bound_lo)
            if bound_hi is not None:
                hi = bound_hi if hi is None else min(hi, bound_hi)
        if lo is not None or hi is not None:
            ranges.append((field, lo, hi))
    sort_raw = (_last(params, "sort") or "").strip()
    sort, descending = "sequential_id", False
    if sort_raw:
        first = sort_raw.split(",")[0].strip()
        if first not in SORTS:
            allowed = ", ".join(sorted(SORTS))
            raise QueryError(
                "Invalid sort", f"sort must be one of {allowed}, got {sort_raw!r}", "sort"
            )
        descending = first.startswith("-")
        sort = first.lstrip("-")
    return Selection(
        sort=sort,
        descending=descending,
        statuses=_codes(params, "filter[status]", statuses),
        kinds=None if kinds is None else _codes(params, "filter[kind]", kinds),
        ranges=tuple(ranges),
    )
