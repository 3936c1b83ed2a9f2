"""The demo's record tables: one typed array per column, so a million records stay small.

Index ``i`` of every column is record ``i``. Type codes: ``"q"`` epoch milliseconds or a row
number (``incident_table.NULL`` for none), ``"b"`` a small enum index or flag, ``"i"`` a
version count.
"""

from __future__ import annotations

from array import array
from typing import ClassVar


class ColumnTable:
    """Declares its columns in ``COLUMNS`` (type code -> space-separated names)."""

    COLUMNS: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        for typecode, names in self.COLUMNS.items():
            for name in names.split():
                setattr(self, name, array(typecode))
        #: rows whose ``deleted`` flag is set, in tables that have one
        self.deleted_count = 0

    def __len__(self) -> int:
        return len(self.created)  # type: ignore[attr-defined]  # every table has `created`
