"""Opaque keyset cursors for ``page[after]`` (the vendor's cursor paging on incidents).

A cursor names a position, not a page: the sort it was issued for, the sort key value and the
sequential id of the last record a client saw. The next page is whatever sorts strictly after
that position now, so records updated or deleted meanwhile cannot shift others past the
reader, as they do with page numbers. The text is urlsafe base64 so that clients treat it as
opaque and it survives a query string unescaped.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from ingestion.demo_api.ordering import SORT_FIELDS

_VERSION = "v1"


@dataclass(frozen=True)
class Cursor:
    """A decoded ``page[after]``: (sort key, sequential id) in the order of ``sort``."""

    sort: str
    key: int
    sequential_id: int

    @property
    def index(self) -> int:
        """The incident row the cursor points at (sequential ids start at 1)."""
        return self.sequential_id - 1


def encode_cursor(sort: str, key: int, sequential_id: int) -> str:
    """The opaque text of a cursor (no padding: ``=`` would need escaping in a URL)."""
    raw = f"{_VERSION}:{sort}:{key}:{sequential_id}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(text: str) -> Cursor:
    """Parse a cursor made by :func:`encode_cursor`; ValueError on anything else."""
    padded = text.strip() + "=" * (-len(text.strip()) % 4)
    try:
        raw = base64.b64decode(padded, altchars=b"-_", validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError):
        raise ValueError("not a cursor issued by this API") from None
    parts = raw.split(":")
    if len(parts) != 4 or parts[0] != _VERSION or parts[1] not in SORT_FIELDS:
        raise ValueError("not a cursor issued by this API")
    try:
        key, sequential_id = int(parts[2]), int(parts[3])
    except ValueError:
        raise ValueError("not a cursor issued by this API") from None
    if sequential_id < 1:
        raise ValueError("not a cursor issued by this API")
    return Cursor(parts[1], key, sequential_id)
