"""Paging a JSON:API list to its end, complete even while the records change.

The reference API pages by offset (`page[number]`), sorted by `updated_at`. An incident
updated while a client pages moves to the end of that order, and every record after its
old place shifts one place up: a page-number walk then skips one record per update, and the
incremental cursor moves past it for good. This paginator avoids offsets wherever the API
lets it:

1. **Cursor paging** (the vendor's current spec): when a response carries
   `meta.next_cursor`, the next request asks for `page[after]=<cursor>`. A cursor names a
   position in the order, not an offset, so nothing shifts past it.
2. **Keyset on the filter** (any server with `filter[updated_at][gte]` and
   `sort=updated_at`, as in the older spec): without a cursor, the next request is page 1
   of `filter[updated_at][gte]=<newest updated_at seen>`. A record updated meanwhile moves
   behind the boundary and is read there; the records at the boundary itself are read
   twice and dropped here the second time.
3. **Page numbers** otherwise (dashboards, which have no filter and no sort), and inside a
   keyset step when more than a page of records share one `updated_at` to the millisecond
   (a bulk import): then it pages through that group by number.

It stops when the response says there is no next page: `meta.next_cursor`,
`links.next`, `meta.next_page` and `meta.total_pages`, whichever the server sends; with
none of them, on a short or empty page. `meta.total_pages` is optional here, unlike in
dlt's `page_number` paginator, which raises when it is missing.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from dlt.sources.helpers.rest_client.paginators import BasePaginator
from dlt.sources.rest_api.config_setup import register_paginator
from requests import Request, Response

PAGINATOR_TYPE = "json_api"
PAGE_NUMBER = "page[number]"
PAGE_SIZE = "page[size]"
PAGE_AFTER = "page[after]"
# The lower bound of the keyset on incidents (and any list sorted by `updated_at`).
UPDATED_AT_FILTER = "filter[updated_at][gte]"
UPDATED_AT_PATH = "attributes.updated_at"
# A server may compare the filter at whole seconds: records up to this much older than the
# bound are re-reads, not a sign that it ignored the filter.
FILTER_SLACK = timedelta(seconds=1)


class PagingError(Exception):
    """The API's paging information contradicts itself; continuing could loop or lose data."""


def parse_instant(value: Any) -> datetime | None:
    """An ISO-8601 timestamp as an aware UTC instant (no offset = UTC); None if unreadable.

    Timestamps arrive in local offsets (`...T00:17:06.037-07:00`): comparing their text
    would order instants wrongly.
    """
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _dig(document: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def has_more(body: Any, returned: int, page_size: int | None, page_number: int | None) -> bool:
    """Whether the server says a page follows this one, in whichever words it uses.

    `page_number` is None while paging by cursor (page numbers then mean nothing).
    """
    meta = _dig(body, "meta")
    meta = meta if isinstance(meta, dict) else {}
    links = _dig(body, "links")
    links = links if isinstance(links, dict) else {}
    if returned == 0:
        return False
    if "next_cursor" in meta and meta["next_cursor"] is not None:
        return True
    if page_number is None and "next_cursor" in meta:
        return False  # paging by cursor: a null cursor is the end, whatever else it says
    signals = []
    if "next" in links:
        signals.append(links["next"] is not None)
    if "next_page" in meta:
        signals.append(meta["next_page"] is not None)
    if isinstance(meta.get("total_pages"), int) and page_number is not None:
        current = meta.get("current_page")
        current = current if isinstance(current, int) else page_number
        signals.append(current < meta["total_pages"])
    if signals:
        return any(signals)
    # no paging information at all: a full page may have a successor, a short one has not
    return page_size is None or returned >= page_size


class JsonApiPaginator(BasePaginator):
    """Cursor, keyset or page-number paging of one JSON:API list (see the module docstring).

    `keyset_param` and `keyset_path` turn keyset paging on: the filter parameter that takes
    the lower bound (`filter[updated_at][gte]`) and the record path of its value
    (`attributes.updated_at`). Only ask for it on requests sorted ascending by that field.
    """

    def __init__(
        self,
        keyset_param: str | None = None,
        keyset_path: str | None = None,
        base_page: int = 1,
    ) -> None:
        super().__init__()
        self.keyset_param = keyset_param
        self.keyset_keys = tuple(keyset_path.split(".")) if keyset_path else ()
        self.base_page = base_page
        self.page_size: int | None = None
        self.page_number = base_page
        self.cursor: str | None = None
        self.boundary: datetime | None = None  # newest instant seen (keyset mode)
        self.boundary_text: str | None = None  # ... as the server wrote it
        self.at_boundary: set[Any] = set()  # ids already read at that instant
        self.pages = 0

    # -- dlt's paginator protocol ---------------------------------------------------------
    def init_request(self, request: Request) -> None:
        """Start over: dlt hands the same instance to every walk of a resource."""
        self.cursor, self.boundary, self.boundary_text = None, None, None
        self.at_boundary, self.pages = set(), 0
        self._has_next_page = True
        params = request.params if isinstance(request.params, dict) else {}
        request.params = params
        try:
            self.page_size = int(params[PAGE_SIZE])
        except (KeyError, TypeError, ValueError):
            self.page_size = None
        params.setdefault(PAGE_NUMBER, self.base_page)
        self.page_number = int(params[PAGE_NUMBER])

    def update_state(self, response: Response, data: list[Any] | None = None) -> None:
        """Decide the next request from this response (and drop keyset re-reads)."""
        self.pages += 1
        body = response.json()
        records = data if data is not None else []
        returned = len(records)
        number = None if self.cursor is not None else self.page_number
        more = has_more(body, returned, self.page_size, number)
        cursor = _dig(body, "meta", "next_cursor")
        if more and isinstance(cursor, str) and cursor:
            if cursor == self.cursor:
                raise PagingError(
                    f"the API returned the same meta.next_cursor twice on {_path(response)}:"
                    " paging would loop; report it to the API's owner"
                )
            self.cursor = cursor
        elif self.keyset_param:
            self._drop_reread(records)
            self._advance_keyset(records, more)
        else:
            self.page_number += 1
        self._has_next_page = more

    def update_request(self, request: Request) -> None:
        params = request.params
        if self.cursor is not None:
            params.pop(PAGE_NUMBER, None)
            params[PAGE_AFTER] = self.cursor
            return
        if self.keyset_param and self.boundary_text is not None:
            params[self.keyset_param] = self.boundary_text
        params[PAGE_NUMBER] = self.page_number

    # -- keyset -------------------------------------------------------------------------
    def _advance_keyset(self, records: list[Any], more: bool) -> None:
        """Move the lower bound to the newest record seen; page on by number only when a
        whole page shared the current bound (a tie group larger than a page)."""
        moments = [parse_instant(_dig(record, *self.keyset_keys)) for record in records]
        floor = self.boundary - FILTER_SLACK if self.boundary is not None else None
        if floor is not None and any(m is not None and m < floor for m in moments):
            # paging on from the bound would start over from the top of the list forever
            raise PagingError(
                f"the API ignored {self.keyset_param} (a record older than the bound came"
                " back): paging cannot continue safely; report it to the API's owner"
            )
        newest = max((m for m in moments if m is not None), default=None)
        if newest is not None and (self.boundary is None or newest > self.boundary):
            index = moments.index(newest)
            self.boundary = newest
            self.boundary_text = _dig(records[index], *self.keyset_keys)
            self.page_number = self.base_page
            self.at_boundary = set()
        elif more:
            self.page_number += 1  # every record sat on the bound: page through the ties
        self.at_boundary |= {
            (_id(record), moment)
            for record, moment in zip(records, moments, strict=True)
            if moment is not None and moment == self.boundary
        }

    def _drop_reread(self, records: list[Any]) -> None:
        """Drop, in place, the records a keyset step read a second time: those at the
        previous bound that the last page already returned. dlt yields this same list right
        after `update_state`."""
        if not self.at_boundary:
            return
        records[:] = [
            record
            for record in records
            if (_id(record), parse_instant(_dig(record, *self.keyset_keys))) not in self.at_boundary
        ]

    def __str__(self) -> str:
        mode = "cursor" if self.cursor else "keyset" if self.boundary_text else "page"
        return f"JsonApiPaginator({mode}, page {self.page_number}, {self.pages} pages read)"


def updated_at_keyset() -> JsonApiPaginator:
    """The paginator for a list sorted by `updated_at` with a `gte` filter on it."""
    return JsonApiPaginator(keyset_param=UPDATED_AT_FILTER, keyset_path=UPDATED_AT_PATH)


def _id(record: Any) -> Any:
    return record.get("id") if isinstance(record, dict) else None


def _path(response: Response) -> str:
    from urllib.parse import urlsplit

    return urlsplit(response.url or "").path or "the API"


register_paginator(PAGINATOR_TYPE, JsonApiPaginator)
